// Reads USAGE with one durable pull consumer shared by every replica, in batches: each batch is written in
// one transaction and acked only after commit. A message that is invalid, or keeps failing, goes to the
// dead-letter subject after a bounded number of deliveries. Consumer lag is a metric.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  jetstream,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/nats-core';
import { parseInput, SUBJECTS, USAGE_STREAM, type UsageEvent, UsageEventSchema } from '@gw/contracts';
import { counter, ensureUsageStream, gauge, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, LOGGER, type ServiceConfig } from '../config.js';
import { type PricedEvent, UsagePricer } from './usage-pricer.js';
import { UsageWriter } from './usage-writer.js';

const consumed = counter('metering_usage_events_total', 'Usage events consumed', ['outcome']);
const lag = gauge('metering_consumer_lag', 'Messages in USAGE not yet acked by metering');

@Injectable()
export class UsageConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop?: Promise<void>;
  private lagTimer?: NodeJS.Timeout;
  private messages?: ConsumerMessages;

  constructor(
    private readonly nats: NatsClient,
    private readonly writer: UsageWriter,
    private readonly pricer: UsagePricer,
    @Inject(CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap() {
    const nc = this.nats.connection;
    await ensureUsageStream(nc);
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
    const valid: { msg: JsMsg; event: PricedEvent }[] = [];
    for (const msg of batch) {
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        body = undefined;
      }
      const parsed = parseInput(UsageEventSchema, body);
      if (!parsed.ok) this.deadLetter(msg, `invalid event: ${parsed.error.message}`);
      else valid.push({ msg, event: this.pricer.price(parsed.value as UsageEvent) });
    }
    try {
      const fresh = (await this.writer.write(valid.map((v) => v.event))).length;
      for (const v of valid) v.msg.ack();
      consumed.inc({ outcome: 'recorded' }, fresh);
      consumed.inc({ outcome: 'duplicate' }, valid.length - fresh);
    } catch (err) {
      // One bad event must not hold the batch hostage: retry them one by one.
      this.logger.warn({ err, size: valid.length }, 'batch write failed; retrying events one by one');
      for (const v of valid) await this.one(v.msg, v.event);
    }
  }

  private async one(msg: JsMsg, event: PricedEvent) {
    try {
      const fresh = (await this.writer.write([event])).length;
      msg.ack();
      consumed.inc({ outcome: fresh ? 'recorded' : 'duplicate' });
    } catch (err) {
      if (msg.info.deliveryCount >= this.config.maxDeliver)
        this.deadLetter(msg, String((err as Error).message));
      else msg.nak(1000);
    }
  }

  private deadLetter(msg: JsMsg, reason: string) {
    const h = headers();
    h.set('Metering-Error', reason.slice(0, 500));
    this.nats.connection.publish(SUBJECTS.metering.deadLetter, msg.data, { headers: h });
    msg.term();
    consumed.inc({ outcome: 'dead_letter' });
    this.logger.error({ seq: msg.seq, reason }, 'usage event dead-lettered');
  }

  async onApplicationShutdown() {
    this.running = false;
    clearInterval(this.lagTimer);
    await this.messages?.close();
    await this.loop;
  }
}
