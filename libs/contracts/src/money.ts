// Credits are integers in micro-units (DESIGN "Money"): 1 credit = 1,000,000 micro-credits, no floats in balances.
export const MICROS_PER_CREDIT = 1_000_000;
/** Largest amount the API accepts: keeps every sum a safe integer in JavaScript and a bigint in Postgres. */
export const MAX_CREDITS = 1_000_000_000;

/** Exact conversion of a decimal credit amount with at most 6 decimals; undefined otherwise. */
export function creditsToMicros(credits: number): number | undefined {
  if (!Number.isFinite(credits) || credits < 0 || credits > MAX_CREDITS) return undefined;
  const [whole, frac = ''] = credits.toFixed(7).split('.');
  if (frac[6] !== '0') return undefined;
  return Number(whole) * MICROS_PER_CREDIT + Number(frac.slice(0, 6));
}

export function microsToCredits(micros: number): number {
  return micros / MICROS_PER_CREDIT;
}

/** Multipliers (pricing groups) are stored as integer parts per million. */
export const PPM = 1_000_000;

/** A model's prices: integer micro-credits per 1M tokens. */
export interface ModelPrice {
  inputPrice: number;
  outputPrice: number;
}

const E12 = 1_000_000_000_000n;

/**
 * DESIGN's cost, in integer micro-credits: (prompt × input + completion × output) / 1e6 × multiplier.
 * BigInt keeps it exact for any sizes the API accepts; the one rounding (half up) happens at the end.
 */
export function costMicros(
  promptTokens: number,
  completionTokens: number,
  price: ModelPrice,
  multiplierPpm: number,
): number {
  const perMillion =
    BigInt(promptTokens) * BigInt(price.inputPrice) + BigInt(completionTokens) * BigInt(price.outputPrice);
  return Number((perMillion * BigInt(multiplierPpm) + E12 / 2n) / E12);
}

/** The month utcMonthOf last named, and the ms it spans: a gateway asks for it on every limited request. */
let month = { from: 0, to: -1, text: '' };

/** The UTC month of a time, 'YYYY-MM': the period of monthly quotas and totals. */
export function utcMonthOf(ms: number): string {
  if (ms >= month.from && ms < month.to) return month.text;
  const d = new Date(ms);
  const text = d.toISOString().slice(0, 7);
  // Kept from 1970 on only: Date.UTC reads the years 0–99 as 1900–1999, and Date truncates a negative
  // fraction of a ms toward zero, across a month's start.
  if (ms >= 0)
    month = {
      from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
      to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
      text,
    };
  return text;
}

/** The UTC month of an ISO 8601 time: its first 7 characters when it is in UTC (`Z`, as gateways send it). */
export function utcMonthOfIso(iso: string): string {
  return iso.endsWith('Z') ? iso.slice(0, 7) : utcMonthOf(Date.parse(iso));
}
