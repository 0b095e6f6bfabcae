// Reads USAGE with one durable pull consumer shared by every replica. A message holds one event or a gateway's
// burst of them; events wait up to METERING_LINGER_MS for others and are written together, up to
// METERING_BATCH_SIZE per transaction (METERING_WRITERS transactions at once), and their messages acked only
// after commit. While the database is unreachable the batch stays in hand (its ack deadline extended) and is
// retried with backoff, however long the outage: outages never lead to dead-lettering. Only a message that can
// never succeed (invalid, or a write that keeps failing for another reason) goes to the USAGE_DEADLETTER
// stream, with the reason. Consumer lag is a metric.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/nats-core';
import {
  parseInput,
  SUBJECTS,
  USAGE_STREAM,
  type UsageEvent,
  UsageEventSchema,
  usageMessageEvents,
} from '@gw/contracts';
import { Connections, counter, ensureUsageStreams, gauge, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, LOGGER, type ServiceConfig } from '../config.js';
import { isTransientDbError } from './transient.js';
import { type PricedEvent, UsagePricer } from './usage-pricer.js';
import { UsageWriter } from './usage-writer.js';

const consumed = counter('metering_usage_events_total', 'Usage events consumed', ['outcome']);
const lag = gauge('metering_consumer_lag', 'Messages in USAGE not yet acked by metering');
const outageRetries = counter(
  'metering_write_retries_total',
  'Batch writes retried because the database was unreachable or busy (never counted toward dead-lettering)',
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A message's valid events (its invalid ones are already dead-lettered). */
type Held = { msg: JsMsg; events: UsageEvent[]; at: number };
/**
 * Messages the pull may hold for this replica beyond what it has taken (each ≤ USAGE_BATCH_MAX_BYTES, so
 * ≤ 16 MiB). A count, not bytes: nats.js tops a byte-bounded pull up by what was used since, so a burst larger
 * than that did not fit any open pull (409) and the drain stalled until two heartbeats were missed (30 s).
 */
const PULL_MESSAGES = 64;

@Injectable()
export class UsageConsumer implements OnApplicationBootstrap {
  private running = false;
  private loop?: Promise<void>;
  private writing?: Promise<void>;
  private lagTimer?: NodeJS.Timeout;
  private messages?: ConsumerMessages;
  private js!: JetStreamClient;
  /** Received, not yet written: the writers take from the front. */
  private queue: Held[] = [];
  private queuedEvents = 0;
  /** Wake the writers waiting (an event arrived, or stopping) or the reader (the queue has room again). */
  private readonly writerWakers = new Set<() => void>();
  private wakeReader?: () => void;

  constructor(
    private readonly nats: NatsClient,
    private readonly writer: UsageWriter,
    private readonly pricer: UsagePricer,
    @Inject(CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    connections: Connections,
  ) {
    // What is in hand is written and acked before NATS and Postgres close.
    connections.beforeClose('usage-consumer', () => this.stop());
  }

  async onApplicationBootstrap() {
    const nc = this.nats.connection;
    this.js = jetstream(nc);
    for (const d of await ensureUsageStreams(nc, this.config.streams))
      this.logger.warn(`left as it runs (apply settings with dist/cli/streams.js): ${d}`);
    const jsm = await jetstreamManager(nc);
    const config = {
      durable_name: this.config.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.config.ackWaitMs),
      filter_subject: this.config.filterSubject,
      // Room for every writer's batch and two queued (in one-event messages, as the spool replays them).
      max_ack_pending: this.config.batchSize * (this.config.writers + 2),
    };
    // Idempotent: the first replica creates it, the others (and restarts) bind to the same one.
    await jsm.consumers
      .add(USAGE_STREAM.name, config)
      .catch(() => jsm.consumers.update(USAGE_STREAM.name, this.config.consumer, config));
    const consumer = await jetstream(nc).consumers.get(USAGE_STREAM.name, this.config.consumer);
    this.running = true;
    this.loop = this.read(consumer);
    this.writing = Promise.all(Array.from({ length: this.config.writers }, () => this.write())).then(
      () => undefined,
    );
    this.lagTimer = setInterval(() => {
      consumer.info(true).then(
        (i) => lag.set(i.num_pending + i.num_ack_pending),
        () => undefined,
      );
    }, 5000).unref();
  }

  /** A continuous pull into the queue, paused while the queue holds two transactions' worth. */
  private async read(consumer: Consumer) {
    while (this.running) {
      try {
        const messages = (this.messages = await consumer.consume({ max_messages: PULL_MESSAGES }));
        for await (const m of messages) {
          const held = await this.receive(m);
          if (held) this.enqueue(held);
          while (this.running && this.queuedEvents >= this.config.batchSize * 2)
            await new Promise<void>((r) => (this.wakeReader = r));
          if (!this.running) break;
        }
        // Unhandled messages of a stopped iterator are redelivered after ack_wait.
      } catch (err) {
        if (this.running) this.logger.warn({ err }, 'usage consumption failed; retrying');
        // Stop this pull before the next starts; what it held unacked is redelivered after ack_wait.
        await this.messages?.close().catch(() => undefined);
        await sleep(500);
      }
    }
  }

  private enqueue(held: Held) {
    this.queue.push(held);
    this.queuedEvents += held.events.length;
    // A writer waits without a deadline only on an empty queue; one lingering has its deadline already and
    // needs waking only for a full batch (not a timer re-armed per writer per message).
    if (this.queue.length === 1 || this.queuedEvents >= this.config.batchSize) this.wakeWriters();
  }

  private wakeWriters() {
    for (const wake of this.writerWakers) wake();
    this.writerWakers.clear();
  }

  /** Until the writers are woken, or `ms` has passed. */
  private writerWake(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.writerWakers.delete(wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.writerWakers.add(wake);
    });
  }

  /**
   * One writer (METERING_WRITERS run side by side): a full batch at once, else what has waited
   * METERING_LINGER_MS. Stopping, the writers write what is left before they return.
   */
  private async write() {
    const { batchSize, lingerMs } = this.config;
    for (;;) {
      if (!this.queue.length) {
        if (!this.running) return;
        await this.writerWake();
        continue;
      }
      const wait = this.queue[0].at + lingerMs - performance.now();
      if (this.running && this.queuedEvents < batchSize && wait > 0) {
        await this.writerWake(wait);
        continue;
      }
      const batch = this.take(batchSize);
      try {
        // Nothing is priced from prices older than the last change seen (or before any are known).
        await this.pricer.ready();
        await this.handle(batch);
      } catch (err) {
        // Prices unknown: left unacked, redelivered after ack_wait (to this or another replica).
        this.logger.warn({ err }, 'usage prices unavailable; the batch is redelivered');
        for (const h of batch) h.msg.nak(1000);
        await sleep(500);
      }
    }
  }

  /** Whole messages from the front of the queue, up to `max` events (at least one message). */
  private take(max: number): Held[] {
    let n = 0;
    let i = 0;
    while (i < this.queue.length && (i === 0 || n + this.queue[i].events.length <= max))
      n += this.queue[i++].events.length;
    const batch = this.queue.splice(0, i);
    this.queuedEvents -= n;
    this.wakeReader?.();
    return batch;
  }

  /**
   * A message's valid events. An unreadable message, or a one-event message whose event is invalid, goes to the
   * dead letters whole; an invalid event of a burst goes alone, and its valid neighbours are kept.
   */
  private async receive(msg: JsMsg): Promise<Held | undefined> {
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      body = undefined;
    }
    const items = usageMessageEvents(body);
    if (typeof items === 'string') {
      await this.deadLetter(msg, `invalid message: ${items}`);
      return undefined;
    }
    const events: UsageEvent[] = [];
    for (let i = 0; i < items.length; i++) {
      const parsed = parseInput(UsageEventSchema, items[i]);
      if (parsed.ok) {
        events.push(parsed.value as UsageEvent);
        continue;
      }
      const reason = `invalid event: ${parsed.error.message}`;
      if (items.length === 1) {
        await this.deadLetter(msg, reason);
        return undefined;
      }
      if (!(await this.storeDeadLetter(msg, JSON.stringify(items[i]), reason, i))) {
        msg.nak(1000);
        return undefined;
      }
      consumed.inc({ outcome: 'dead_letter' });
    }
    return { msg, events, at: performance.now() };
  }

  private async handle(batch: Held[]) {
    const priced = batch.map((h) => h.events.map((e) => this.pricer.price(e)));
    const all = priced.flat();
    try {
      const fresh = all.length ? (await this.writeOutlasting(all, batch)).length : 0;
      for (const h of batch) h.msg.ack();
      consumed.inc({ outcome: 'recorded' }, fresh);
      consumed.inc({ outcome: 'duplicate' }, all.length - fresh);
    } catch (err) {
      // Stopping: left unacked, redelivered after ack_wait (to another replica).
      if (!this.running) return;
      // Not an outage: one by one, so one bad event does not hold the batch hostage.
      this.logger.warn({ err, size: all.length }, 'batch write failed; retrying events one by one');
      for (let i = 0; i < batch.length; i++) await this.one(batch[i], priced[i]);
    }
  }

  /** Writes, waiting out database outages with the messages in hand (their ack deadline extended). */
  private async writeOutlasting(events: PricedEvent[], held: Held[]): Promise<PricedEvent[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writer.write(events);
      } catch (err) {
        if (!isTransientDbError(err) || !this.running) throw err;
        outageRetries.inc();
        if (attempt % 20 === 0)
          this.logger.warn(
            { err: String(err), attempt },
            'database unreachable: holding the batch, retrying',
          );
        for (const h of held) h.msg.working();
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }

  /** One message's events, each on its own; those that still fail after maxDeliver are dead-lettered. */
  private async one(held: Held, events: PricedEvent[]) {
    const { msg } = held;
    const failed: { index: number; reason: string }[] = [];
    let fresh = 0;
    for (let i = 0; i < events.length; i++) {
      try {
        fresh += (await this.writeOutlasting([events[i]], [held])).length;
      } catch (err) {
        if (!this.running) return;
        failed.push({ index: i, reason: String((err as Error).message) });
      }
    }
    consumed.inc({ outcome: 'recorded' }, fresh);
    if (!failed.length) return void msg.ack();
    if (msg.info.deliveryCount < this.config.maxDeliver) return void msg.nak(1000);
    if (events.length === 1) return this.deadLetter(msg, failed[0].reason);
    for (const f of failed)
      if (!(await this.storeDeadLetter(msg, JSON.stringify(held.events[f.index]), f.reason, f.index)))
        return void msg.nak(1000);
    consumed.inc({ outcome: 'dead_letter' }, failed.length);
    msg.ack();
  }

  /** The whole message kept in USAGE_DEADLETTER with the reason; only once it is stored does USAGE let it go. */
  private async deadLetter(msg: JsMsg, reason: string) {
    if (!(await this.storeDeadLetter(msg, msg.data, reason))) {
      msg.nak(1000);
      return;
    }
    // No reason text: nats-server 2.9 takes only a bare +TERM (a reason would leave it unacked, redelivered).
    msg.term();
    consumed.inc({ outcome: 'dead_letter' });
  }

  /** Stores `data` (a message, or one event of a burst: `index`) as a dead letter; false when it could not. */
  private async storeDeadLetter(msg: JsMsg, data: Uint8Array | string, reason: string, index?: number) {
    try {
      const h = headers();
      // Header values are single lines.
      h.set('Metering-Error', reason.replace(/[\r\n]+/g, ' ').slice(0, 500));
      h.set('Metering-Source', `${msg.info.stream}/${msg.seq}${index === undefined ? '' : `#${index}`}`);
      await this.js.publish(SUBJECTS.metering.deadLetter, data, {
        headers: h,
        // Unique per stored message (a recreated USAGE reuses sequence numbers) and event, so a redelivery
        // of this message deduplicates and nothing else does.
        msgID: `${this.config.consumer}-${msg.seq}-${msg.info.timestampNanos}${index === undefined ? '' : `-${index}`}`,
      });
    } catch (err) {
      this.logger.warn({ err, seq: msg.seq }, 'could not store a dead letter; the message is retried');
      return false;
    }
    this.logger.error({ seq: msg.seq, index, reason }, 'usage event dead-lettered');
    return true;
  }

  private async stop() {
    this.running = false;
    clearInterval(this.lagTimer);
    await this.messages?.close();
    this.wakeReader?.();
    await this.loop;
    this.wakeWriters();
    await this.writing;
  }
}
