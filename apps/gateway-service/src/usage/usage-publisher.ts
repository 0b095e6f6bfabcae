// Step 7: one usage event per request to JetStream, message id = request id. Never on the request's
// critical path: publishes are pipelined and their acks awaited in the background; whatever fails (NATS
// down, no ack in time) goes to the on-disk spool and is replayed when NATS is back.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { USAGE_SUBJECT, type UsageEvent } from '@gw/contracts';
import { counter, ensureUsageStream, gauge, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { UsageSpool } from './spool.js';

const published = counter('gateway_usage_events_total', 'Usage events by outcome', ['outcome']);
const inFlightGauge = gauge('gateway_usage_events_in_flight', 'Usage events awaiting a JetStream ack');

const ACK_TIMEOUT_MS = 5_000;
const DRAIN_EVERY_MS = 2_000;

@Injectable()
export class UsagePublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private js!: JetStreamClient;
  private readonly spool: UsageSpool;
  private readonly inFlight = new Set<Promise<void>>();
  private draining: Promise<void> | undefined;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.spool = new UsageSpool(config.spoolDir, config.spoolMaxBytes);
  }

  async onApplicationBootstrap() {
    this.js = jetstream(this.nats.connection, { timeout: ACK_TIMEOUT_MS });
    try {
      await ensureUsageStream(this.nats.connection);
    } catch (err) {
      this.logger.warn({ err }, 'could not ensure the USAGE stream yet; events spool until it exists');
    }
    this.nats.onReconnect(() => void this.drainSpool());
    // Also on a timer: a spool left by a previous process, or a publish that timed out while connected.
    this.timer = setInterval(() => void this.drainSpool(), DRAIN_EVERY_MS).unref();
    void this.drainSpool();
  }

  /** Fire and forget: the response never waits on this. */
  publish(event: UsageEvent) {
    if (!this.nats.isConnected()) {
      void this.toSpool(event);
      return;
    }
    const p = this.send(event).then(
      () => void published.inc({ outcome: 'acked' }),
      () => this.toSpool(event),
    );
    this.track(p);
  }

  private send(event: UsageEvent): Promise<void> {
    return this.js
      .publish(USAGE_SUBJECT, JSON.stringify(event), { msgID: event.requestId })
      .then(() => undefined);
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    inFlightGauge.set(this.inFlight.size);
    void p.finally(() => {
      this.inFlight.delete(p);
      inFlightGauge.set(this.inFlight.size);
    });
  }

  private async toSpool(event: UsageEvent) {
    const kept = await this.spool.append(event).catch((err: unknown) => {
      this.logger.error({ err }, 'usage spool write failed');
      return false;
    });
    published.inc({ outcome: kept ? 'spooled' : 'dropped' });
    if (!kept) this.logger.error({ requestId: event.requestId }, 'usage spool full: event dropped');
  }

  /** Replays the spool in order while connected; one replay at a time. */
  drainSpool(): Promise<void> {
    if (this.draining || !this.nats.isConnected()) return this.draining ?? Promise.resolve();
    this.draining = (async () => {
      try {
        if (!(await this.spool.pending())) return;
        const sent = await this.spool.drain((e) => this.send(e));
        published.inc({ outcome: 'replayed' }, sent);
        if (sent) this.logger.info({ sent }, 'usage spool replayed');
      } catch (err) {
        this.logger.warn({ err }, 'usage spool replay stopped; will retry');
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Shutdown: wait for acks in flight (failures land in the spool), then one last replay. */
  async flush() {
    await Promise.allSettled([...this.inFlight]);
    await this.drainSpool();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.flush();
  }
}
