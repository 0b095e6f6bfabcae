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
