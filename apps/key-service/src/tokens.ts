// Injection tokens of key-service.
export { CONFIG, LOGGER } from '@gw/platform';
import { utcMonthOf } from '@gw/contracts';
export const CLOCK = Symbol('CLOCK');
export const KEY_FORMAT = Symbol('KEY_FORMAT');

/** Injectable time, so tests can cross a month boundary. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** The UTC calendar month of a date, e.g. '2026-11': monthly quotas and totals use it. */
export const utcMonth = (d: Date) => utcMonthOf(d.getTime());
