// Model prices and pricing groups from key-service, cached in-process: loaded on first use, reloaded when
// pricing.events.changed says they changed or after a NATS reconnect (an event may have been missed).
import { Controller, type Provider } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { type ModelPrice, PPM, SUBJECTS } from '@gw/contracts';
import type { Logger } from 'pino';
import { NatsClient } from './nats-client.js';
import { LOGGER } from './tokens.js';

export class PriceBook {
  private models = new Map<string, ModelPrice>();
  private groups = new Map<string, number>();
  /** Bumped by every change event: a load that started before it must not mark the book fresh. */
  private version = 0;
  private freshVersion = -1;
  private loading?: Promise<void>;

  constructor(
    private readonly nats: NatsClient,
    private readonly logger: Logger,
  ) {}

  /** Reloads after a NATS reconnect (a change event may have been missed); events: PricingEventsController. */
  watch() {
    this.nats.onReconnect(() => this.invalidate());
  }

  invalidate() {
    this.version++;
    void this.fresh().catch(() => undefined);
  }

  /** Prices were loaded at least once (they may be a change behind). */
  get loaded(): boolean {
    return this.freshVersion >= 0;
  }

  private get isFresh(): boolean {
    return this.freshVersion === this.version;
  }

  /** Resolves once the book reflects every change seen so far; rejects when key-service cannot be asked. */
  fresh(): Promise<void> {
    if (this.isFresh) return Promise.resolve();
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading.then(() => (this.isFresh ? undefined : this.fresh()));
  }

  private async load() {
    const version = this.version;
    const res = await this.nats.request(SUBJECTS.pricing.list, {});
    if (!res.ok) throw new Error(`pricing.list failed: ${res.error.message}`);
    this.models = new Map(
      res.data.models.map((m) => [m.model, { inputPrice: m.inputPrice, outputPrice: m.outputPrice }]),
    );
    this.groups = new Map(res.data.groups.map((g) => [g.name, Math.round(g.multiplier * PPM)]));
    this.freshVersion = version;
    this.logger.debug({ models: this.models.size, groups: this.groups.size }, 'prices loaded');
  }

  /** undefined: the model has no price. */
  price(model: string): ModelPrice | undefined {
    return this.models.get(model);
  }

  /** Parts per million; undefined: no such group. */
  multiplierPpm(group: string): number | undefined {
    return this.groups.get(group);
  }
}

/** pricing.events.changed reaches every replica's book (no queue group). Listed in the app's controllers. */
@Controller()
export class PricingEventsController {
  constructor(private readonly book: PriceBook) {}

  @EventPattern<string>(SUBJECTS.events.pricingChanged)
  changed() {
    this.book.invalidate();
  }
}

/** The service's PriceBook, watching for changes from the start. */
export const priceBookProvider: Provider = {
  provide: PriceBook,
  inject: [NatsClient, LOGGER],
  useFactory: (nats: NatsClient, logger: Logger) => {
    const book = new PriceBook(nats, logger);
    book.watch();
    return book;
  },
};
