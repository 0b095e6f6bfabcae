// One NATS connection per process, with typed request/reply and fan-out helpers over contracts' subjects.
import {
  apiError,
  type EventPayloads,
  type EventSubject,
  parseEvent,
  type Result,
  type RpcReply,
  RpcRequests,
  type RpcRequest,
  type RpcResponses,
  type RpcSubject,
  parseInput,
} from '@gw/contracts';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { counter } from './metrics.js';
import { type NatsConnectionConfig, natsConnectOptions } from './nats-config.js';

const invalidMessages = counter(
  'nats_invalid_messages_total',
  'Event messages dropped: not JSON, an unknown subject, or not the shape of its contract',
  ['subject'],
);

type RpcHandler<S extends RpcSubject> = (
  req: z.output<(typeof RpcRequests)[S]>,
) => Promise<Result<RpcResponses[S]>>;

export class NatsClient {
  private nc?: NatsConnection;
  private connected = false;
  private readonly subs: Subscription[] = [];
  private readonly served: Subscription[] = [];
  /** Requests being answered: shutdown lets them reply before the connection goes. */
  private readonly inflight = new Set<Promise<void>>();
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

  /** Serves a request/reply subject in a queue group: each request is handled by one replica. */
  serve<S extends RpcSubject>(subject: S, queue: string, handler: RpcHandler<S>) {
    const sub = this.connection.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return this.logger.error({ err, subject }, 'NATS subscription error');
        const answering = (async () => {
          let reply: RpcReply<RpcResponses[S]>;
          try {
            const body = parseJson(msg.string());
            const parsed = parseInput(RpcRequests[subject] as z.ZodType, body);
            const res = parsed.ok ? await handler(parsed.value as Parameters<RpcHandler<S>>[0]) : parsed;
            reply = res.ok ? { ok: true, data: res.value } : { ok: false, error: res.error };
          } catch (e) {
            this.logger.error({ err: e, subject }, 'NATS handler failed');
            reply = { ok: false, error: apiError('internal_error') };
          }
          if (msg.reply) msg.respond(JSON.stringify(reply));
        })();
        this.inflight.add(answering);
        void answering.finally(() => this.inflight.delete(answering));
      },
    });
    this.subs.push(sub);
    this.served.push(sub);
  }

  async request<S extends RpcSubject>(
    subject: S,
    payload: RpcRequest<S>,
    timeoutMs = 2000,
  ): Promise<RpcReply<RpcResponses[S]>> {
    try {
      const msg = await this.connection.request(subject, JSON.stringify(payload), { timeout: timeoutMs });
      return msg.json<RpcReply<RpcResponses[S]>>();
    } catch (err) {
      this.logger.warn({ err, subject }, 'NATS request failed');
      return { ok: false, error: apiError('service_unavailable', `${subject} did not answer.`) };
    }
  }

  publish<S extends EventSubject>(subject: S, payload: EventPayloads[S]) {
    this.connection.publish(subject, JSON.stringify(payload));
  }

  /** Fan-out subscription (every replica gets every event), or shared work when a queue is given. */
  subscribe<S extends EventSubject>(
    subject: S | string,
    handler: (payload: EventPayloads[S], subject: string) => void | Promise<void>,
    queue?: string,
  ) {
    const sub = this.connection.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return this.logger.error({ err, subject }, 'NATS subscription error');
        // Parsed with the subject's contract schema: a bad message is counted and dropped here.
        const payload = parseEvent(msg.subject, parseJson(msg.string()));
        if (payload === undefined) {
          // Labelled by the subscription's subject (a wildcard's messages could name unbounded subjects).
          invalidMessages.inc({ subject });
          return this.logger.warn({ subject: msg.subject }, 'ignored an invalid event');
        }
        // Neither a throw nor a rejection of the handler may reach the client's read loop.
        new Promise<void>((resolve) => resolve(handler(payload as EventPayloads[S], msg.subject))).catch(
          (e: unknown) => this.logger.error({ err: e, subject: msg.subject }, 'event handler failed'),
        );
      },
    });
    this.subs.push(sub);
  }

  async flush() {
    await this.nc?.flush();
  }

  async close() {
    if (!this.nc || this.nc.isClosed()) return;
    try {
      // Take no new requests, answer the ones in hand, then drain the rest (a requester must not be left
      // waiting for its timeout because this replica was stopping).
      await Promise.all(this.served.map((s) => s.drain()));
      await Promise.all(this.inflight);
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
