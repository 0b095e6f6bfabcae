// One NATS connection per process, with typed requests and publishes over contracts' subjects. Handlers of
// requests and events are the apps' @MessagePattern / @EventPattern (nats-handlers.ts), on this connection.
import {
  apiError,
  type EventPayloads,
  type EventSubject,
  type RpcReply,
  type RpcRequest,
  type RpcResponses,
  type RpcSubject,
} from '@gw/contracts';
import { parseReply } from '@gw/nats-transport';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type NatsConnectionConfig, natsConnectOptions } from './nats-config.js';

export class NatsClient {
  private nc?: NatsConnection;
  private connected = false;
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(
    private readonly options: NatsConnectionConfig,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  async connect(): Promise<void> {
    this.nc = await connect({
      ...natsConnectOptions(this.options),
      name: this.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
    });
    this.connected = true;
    void this.watchStatus(this.nc);
  }

  private async watchStatus(nc: NatsConnection) {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ server: s.server }, 'NATS disconnected');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.logger.info({ server: s.server }, 'NATS reconnected');
        for (const fn of this.reconnectListeners) fn();
      }
    }
  }

  get connection(): NatsConnection {
    if (!this.nc) throw new Error('NATS is not connected yet');
    return this.nc;
  }

  isConnected(): boolean {
    return this.connected && !!this.nc && !this.nc.isClosed();
  }

  onReconnect(fn: () => void) {
    this.reconnectListeners.push(fn);
  }

  async request<S extends RpcSubject>(
    subject: S,
    payload: RpcRequest<S>,
    timeoutMs = 2000,
  ): Promise<RpcReply<RpcResponses[S]>> {
    try {
      const msg = await this.connection.request(subject, JSON.stringify(payload), { timeout: timeoutMs });
      // Shape-checked: an error code outside the catalogue (or no reply shape at all) is internal_error.
      return parseReply(msg.data) as RpcReply<RpcResponses[S]>;
    } catch (err) {
      this.logger.warn({ err, subject }, 'NATS request failed');
      return { ok: false, error: apiError('service_unavailable', `${subject} did not answer.`) };
    }
  }

  publish<S extends EventSubject>(subject: S, payload: EventPayloads[S]) {
    this.connection.publish(subject, JSON.stringify(payload));
  }

  async flush() {
    await this.nc?.flush();
  }

  /** After the handlers (ContractNatsServer) answered what they had in hand: drain, then close. */
  async close() {
    if (!this.nc || this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }
}
