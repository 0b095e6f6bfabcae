// Step 7: one usage event per request to JetStream, never on the request's critical path. Events are gathered
// for a few milliseconds and sent as one message (a JSON array, USAGE_BATCH_MAX_* bounded): one store and one
// ack in nats-server and one delivery and ack in metering for the whole burst. A burst whose ack is lost is
// spooled event by event and replayed one message per event (message id = request id); metering records each
// request once by its id, so a burst stored after all and then replayed is not counted twice.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { USAGE_BATCH_MAX_BYTES, USAGE_BATCH_MAX_EVENTS, USAGE_SUBJECT, type UsageEvent } from '@gw/contracts';
import { Connections, counter, gauge, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { InFlightRequests } from '../http/in-flight.js';
import { UsageSpool } from './spool.js';

const published = counter('gateway_usage_events_total', 'Usage events by outcome', ['outcome']);
const inFlightGauge = gauge('gateway_usage_events_in_flight', 'Usage events awaiting a JetStream ack');
const spoolBytes = gauge(
  'gateway_usage_spool_bytes',
  "Bytes of usage events waiting in this replica's spool files",
);

const ACK_TIMEOUT_MS = 5_000;
const DRAIN_EVERY_MS = 2_000;

@Injectable()
export class UsagePublisher implements OnApplicationBootstrap {
  private js!: JetStreamClient;
  private readonly spool: UsageSpool;
  private readonly inFlight = new Set<Promise<void>>();
  private draining: Promise<void> | undefined;
  private timer?: NodeJS.Timeout;
  private burst: UsageEvent[] = [];
  private burstTimer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    connections: Connections,
    inFlight: InFlightRequests,
  ) {
    this.spool = new UsageSpool(config.spoolDir, config.spoolMaxBytes);
    // Shutdown: after the last request recorded its usage, and before NATS closes.
    connections.beforeClose('usage', async () => {
      await inFlight.settled();
      clearInterval(this.timer);
      await this.flush();
      // What could not be sent stays on disk, free for another replica sharing the volume (or this pod's next
      // start) to replay.
      await this.spool.release();
    });
  }

  async onApplicationBootstrap() {
    // The stream is metering's (a gateway may only publish to it): until it exists, events spool.
    this.js = jetstream(this.nats.connection, { timeout: ACK_TIMEOUT_MS });
    this.nats.onReconnect(() => void this.drainSpool());
    // Also on a timer: a spool left by a previous process (or a replica that is gone), or a publish that timed
    // out while connected. The heartbeat keeps other replicas sharing the directory off this one's files.
    this.timer = setInterval(() => {
      this.spool
        .heartbeat()
        .catch((err: unknown) => this.logger.warn({ err }, 'usage spool heartbeat failed'));
      void this.drainSpool();
    }, DRAIN_EVERY_MS).unref();
    void this.drainSpool();
  }

  /** Fire and forget: the response never waits on this. */
  publish(event: UsageEvent) {
    if (!this.nats.isConnected()) {
      void this.toSpool([event]);
      return;
    }
    this.burst.push(event);
    if (this.burst.length >= USAGE_BATCH_MAX_EVENTS) this.sendBurst();
    else this.burstTimer ??= setTimeout(() => this.sendBurst(), this.config.usageBurstMs);
  }

  private sendBurst() {
    clearTimeout(this.burstTimer);
    this.burstTimer = undefined;
    const burst = this.burst;
    this.burst = [];
    if (!burst.length) return;
    // One message per USAGE_BATCH_MAX_BYTES of events.
    let parts: string[] = [];
    let events: UsageEvent[] = [];
    let bytes = 2;
    for (const event of burst) {
      const json = JSON.stringify(event);
      if (parts.length && bytes + json.length + 1 > USAGE_BATCH_MAX_BYTES) {
        this.sendBatch(parts, events);
        [parts, events, bytes] = [[], [], 2];
      }
      parts.push(json);
      events.push(event);
      bytes += json.length + 1;
    }
    this.sendBatch(parts, events);
  }

  private sendBatch(parts: string[], events: UsageEvent[]) {
    this.track(
      this.js.publish(USAGE_SUBJECT, `[${parts.join(',')}]`).then(
        () => void published.inc({ outcome: 'acked' }, events.length),
        () => this.toSpool(events),
      ),
    );
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

  private async toSpool(events: UsageEvent[]) {
    for (const event of events) {
      const kept = await this.spool.append(event).catch((err: unknown) => {
        this.logger.error({ err }, 'usage spool write failed');
        return false;
      });
      published.inc({ outcome: kept ? 'spooled' : 'dropped' });
      spoolBytes.set(Math.max(0, this.spool.sizeBytes));
      if (!kept) this.logger.error({ requestId: event.requestId }, 'usage spool full: event dropped');
    }
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
        spoolBytes.set(Math.max(0, this.spool.sizeBytes));
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
    this.sendBurst();
    await Promise.allSettled([...this.inFlight]);
    await this.drainSpool();
  }
}
