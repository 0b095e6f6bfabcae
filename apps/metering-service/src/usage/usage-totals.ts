// A batch's running totals: per key and per owner, for the lifetime and the request's UTC month. Postgres
// adds them to metering.usage_totals; the Redis spend counters add their costs.
import { utcMonthOf } from '@gw/contracts';
import type { PricedEvent } from './usage-pricer.js';

export interface TotalRow {
  /** 'key', or the owner's type ('account' | 'organization'). */
  scope: string;
  scopeId: string;
  /** 'lifetime' or 'YYYY-MM'. */
  period: string;
  ownerType: 'account' | 'organization';
  ownerId: string;
  requests: number;
  prompt: number;
  completion: number;
  cost: number;
  unpriced: number;
}

/** Sorted, so concurrent replicas lock the same rows in the same order (no deadlocks). */
export function totalsOf(events: PricedEvent[]): TotalRow[] {
  const totals = new Map<string, TotalRow>();
  for (const e of events) {
    const { type: ownerType, id: ownerId } = e.owner;
    // Once per event (it was four times: the profile of a drain showed it).
    const month = utcMonthOf(Date.parse(e.at));
    for (const [scope, scopeId] of [
      ['key', e.keyId],
      [ownerType, ownerId],
    ]) {
      for (const period of ['lifetime', month]) {
        const k = `${scope}|${scopeId}|${period}`;
        let t = totals.get(k);
        if (!t) {
          t = {
            scope,
            scopeId,
            period,
            ownerType,
            ownerId,
            requests: 0,
            prompt: 0,
            completion: 0,
            cost: 0,
            unpriced: 0,
          };
          totals.set(k, t);
        }
        t.requests += 1;
        t.prompt += e.promptTokens;
        t.completion += e.completionTokens;
        t.cost += e.costMicros;
        if (e.unpriced) t.unpriced += 1;
      }
    }
  }
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, t]) => t);
}
