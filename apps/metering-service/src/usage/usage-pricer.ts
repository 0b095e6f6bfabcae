// DESIGN's cost for one event, from key-service's prices. An event whose model (or group) has no price is
// recorded with cost 0 and flagged, counted and logged: never dropped, never silently free.
import { Inject, Injectable } from '@nestjs/common';
import { costMicros, type UsageEvent } from '@gw/contracts';
import { counter, type Logger, PriceBook } from '@gw/platform';
import { LOGGER } from '../config.js';

const unpricedEvents = counter('metering_unpriced_events_total', 'Usage events recorded without a price', [
  'model',
]);

export interface PricedEvent extends UsageEvent {
  costMicros: number;
  unpriced: boolean;
}

@Injectable()
export class UsagePricer {
  constructor(
    private readonly book: PriceBook,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Waits for prices that reflect every change seen so far (throws when key-service cannot be asked). */
  ready(): Promise<void> {
    return this.book.fresh();
  }

  price(e: UsageEvent): PricedEvent {
    const price = this.book.price(e.model);
    const multiplier = this.book.multiplierPpm(e.group);
    if (!price || multiplier === undefined) {
      unpricedEvents.inc({ model: e.model });
      this.logger.warn(
        { requestId: e.requestId, model: e.model, group: e.group },
        price ? 'usage event for an unknown pricing group' : 'usage event for a model without a price',
      );
      return { ...e, costMicros: 0, unpriced: true };
    }
    return {
      ...e,
      costMicros: costMicros(e.promptTokens, e.completionTokens, price, multiplier),
      unpriced: false,
    };
  }
}
