// Reads USAGE with one durable pull consumer shared by every replica, in batches: each batch is written in
// one transaction and acked only after commit. While the database is unreachable the batch stays in hand
// (its ack deadline extended) and is retried with backoff, however long the outage: outages never lead to
// dead-lettering. Only a message that can never succeed (invalid, or a write that keeps failing for another
// reason) goes to the USAGE_DEADLETTER stream, with the reason. Consumer lag is a metric.
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
import { parseInput, SUBJECTS, USAGE_STREAM, type UsageEvent, UsageEventSchema } from '@gw/contracts';
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
type Held = { msg: JsMsg; event: PricedEvent };

@Injectable()
export class UsageConsumer implements OnApplicationBootstrap {
  private running = false;
  private loop?: Promise<void>;
  private lagTimer?: NodeJS.Timeout;
  private messages?: ConsumerMessages;
  private js!: JetStreamClient;

  constructor(
    private readonly nats: NatsClient,
    private readonly writer: UsageWriter,
    private readonly pricer: UsagePricer,
    @Inject(CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    connections: Connections,
  ) {
    // The batch in hand is written and acked before NATS and Postgres close.
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
      max_ack_pending: this.config.batchSize * 4,
    };
    // Idempotent: the first replica creates it, the others (and restarts) bind to the same one.
    await jsm.consumers
      .add(USAGE_STREAM.name, config)
      .catch(() => jsm.consumers.update(USAGE_STREAM.name, this.config.consumer, config));
    const consumer = await jetstream(nc).consumers.get(USAGE_STREAM.name, this.config.consumer);
    this.running = true;
    this.loop = this.run(consumer);
    this.lagTimer = setInterval(() => {
      consumer.info(true).then(
        (i) => lag.set(i.num_pending + i.num_ack_pending),
        () => undefined,
      );
    }, 5000).unref();
  }

  /**
   * A continuous pull: a batch is whatever has arrived, up to the batch size, so an idle stream is
   * written at once (low lag) and a busy one in large transactions (high throughput).
   */
  private async run(consumer: Consumer) {
    while (this.running) {
      try {
        // Nothing is priced from prices older than the last change seen (or before any are known).
        await this.pricer.ready();
        const messages = (this.messages = await consumer.consume({
          max_messages: this.config.batchSize * 2,
        }));
        let batch: JsMsg[] = [];
        for await (const m of messages) {
          batch.push(m);
          // getPending counts the message in hand: 1 = nothing else has arrived.
          if (batch.length >= this.config.batchSize || messages.getPending() <= 1) {
            await this.pricer.ready();
            await this.handle(batch);
            batch = [];
          }
          if (!this.running) break;
        }
        // Unhandled messages of a stopped iterator are redelivered after ack_wait.
      } catch (err) {
        if (this.running) this.logger.warn({ err }, 'usage consumption or prices failed; retrying');
        // Stop this pull before the next starts; what it held unacked is redelivered after ack_wait.
        await this.messages?.close().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async handle(batch: JsMsg[]) {
    const valid: Held[] = [];
    for (const msg of batch) {
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        body = undefined;
      }
      const parsed = parseInput(UsageEventSchema, body);
      if (!parsed.ok) await this.deadLetter(msg, `invalid event: ${parsed.error.message}`);
      else valid.push({ msg, event: this.pricer.price(parsed.value as UsageEvent) });
    }
    if (!valid.length) return;
    try {
      const fresh = (await this.writeOutlasting(valid)).length;
      for (const v of valid) v.msg.ack();
      consumed.inc({ outcome: 'recorded' }, fresh);
      consumed.inc({ outcome: 'duplicate' }, valid.length - fresh);
    } catch (err) {
      // Stopping: left unacked, redelivered after ack_wait (to another replica).
      if (!this.running) return;
      // Not an outage: one by one, so one bad event does not hold the batch hostage.
      this.logger.warn({ err, size: valid.length }, 'batch write failed; retrying events one by one');
      for (const v of valid) await this.one(v);
    }
  }

  /** Writes, waiting out database outages with the messages in hand (their ack deadline extended). */
  private async writeOutlasting(held: Held[]): Promise<PricedEvent[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writer.write(held.map((h) => h.event));
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

  private async one({ msg, event }: Held) {
    try {
      const fresh = (await this.writeOutlasting([{ msg, event }])).length;
      msg.ack();
      consumed.inc({ outcome: fresh ? 'recorded' : 'duplicate' });
    } catch (err) {
      if (!this.running) return;
      if (msg.info.deliveryCount >= this.config.maxDeliver)
        await this.deadLetter(msg, String((err as Error).message));
      else msg.nak(1000);
    }
  }

  /** Kept in USAGE_DEADLETTER with the reason; only once it is stored does USAGE let the message go. */
  private async deadLetter(msg: JsMsg, reason: string) {
    try {
      const h = headers();
      // Header values are single lines.
      h.set('Metering-Error', reason.replace(/[\r\n]+/g, ' ').slice(0, 500));
      h.set('Metering-Source', `${msg.info.stream}/${msg.seq}`);
      await this.js.publish(SUBJECTS.metering.deadLetter, msg.data, {
        headers: h,
        // Unique per stored message (a recreated USAGE reuses sequence numbers), so a redelivery of this
        // message deduplicates and nothing else does.
        msgID: `${this.config.consumer}-${msg.seq}-${msg.info.timestampNanos}`,
      });
    } catch (err) {
      this.logger.warn({ err, seq: msg.seq }, 'could not store a dead letter; the message is retried');
      msg.nak(1000);
      return;
    }
    // No reason text: nats-server 2.9 takes only a bare +TERM (a reason would leave it unacked, redelivered).
    msg.term();
    consumed.inc({ outcome: 'dead_letter' });
    this.logger.error({ seq: msg.seq, reason }, 'usage event dead-lettered');
  }

  private async stop() {
    this.running = false;
    clearInterval(this.lagTimer);
    await this.messages?.close();
    await this.loop;
  }
}
