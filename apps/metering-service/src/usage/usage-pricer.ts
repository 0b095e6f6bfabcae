// DESIGN's cost for one event, from key-service's prices. An event whose model (or group) has no price is
// recorded with cost 0 and flagged, counted and logged: never dropped, never silently free.
import { Inject, Injectable } from '@nestjs/common';
import { costMicros, type UsageEvent, utcMonthOfIso } from '@gw/contracts';
import { counter, type Logger, PriceBook } from '@gw/platform';
import { LOGGER } from '../config.js';

const unpricedEvents = counter('metering_unpriced_events_total', 'Usage events recorded without a price', [
  'model',
]);

export interface PricedEvent extends UsageEvent {
  costMicros: number;
  unpriced: boolean;
  /** The UTC month of `at` ('YYYY-MM'), computed once: totals and limits count in it. */
  month: string;
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

  /** Prices `e` in place (it is the consumer's own parsed copy): no copy of every event of a backlog. */
  price(e: UsageEvent): PricedEvent {
    const p = e as PricedEvent;
    p.month = utcMonthOfIso(e.at);
    const price = this.book.price(e.model);
    const multiplier = this.book.multiplierPpm(e.group);
    if (!price || multiplier === undefined) {
      unpricedEvents.inc({ model: e.model });
      this.logger.warn(
        { requestId: e.requestId, model: e.model, group: e.group },
        price ? 'usage event for an unknown pricing group' : 'usage event for a model without a price',
      );
      p.costMicros = 0;
      p.unpriced = true;
      return p;
    }
    p.costMicros = costMicros(e.promptTokens, e.completionTokens, price, multiplier);
    p.unpriced = false;
    return p;
  }
}
