import { ownerTag, SPEND_KEYS } from '@gw/contracts';
import type { PricedEvent } from '../usage/usage-pricer.js';
import { reachedLimits } from './spend-counters.js';

const owner = { type: 'account' as const, id: '00000000-0000-4000-8000-0000000000aa' };
const tag = ownerTag(owner.type, owner.id);
const base = {
  owner,
  group: 'default',
  model: 'm',
  endpoint: 'chat.completions' as const,
  upstream: 'demo',
  promptTokens: 1,
  completionTokens: 1,
  status: 200,
  stream: false,
  estimated: false,
  latencyMs: 1,
  at: '2026-11-30T23:00:00.000Z',
  costMicros: 10,
  unpriced: false,
};
const ev = (keyId: string, limits: PricedEvent['limits']): PricedEvent => ({
  ...base,
  requestId: `r-${keyId}-${Math.random()}`,
  keyId,
  limits,
});

describe('reachedLimits', () => {
  it("announces a key whose counter for its quota's period reached the limit, once", () => {
    const totals = new Map([
      [SPEND_KEYS.key(tag, 'k1', '2026-11'), 100],
      [SPEND_KEYS.key(tag, 'k2', 'lifetime'), 99],
    ]);
    const out = reachedLimits(
      [
        ev('k1', { key: { micros: 100, period: 'monthly' } }),
        ev('k1', { key: { micros: 100, period: 'monthly' } }),
        ev('k2', { key: { micros: 100, period: 'total' } }),
      ],
      totals,
    );
    expect(out).toEqual([{ keyId: 'k1', owner, period: '2026-11', at: expect.any(String) }]);
  });

  it('announces an owner whose lifetime spend reached its credit limit, and ignores events without limits', () => {
    const totals = new Map([[SPEND_KEYS.owner(tag, 'lifetime'), 500]]);
    expect(reachedLimits([ev('k1', undefined)], totals)).toEqual([]);
    expect(reachedLimits([ev('k1', { ownerMicros: 500 })], totals)).toEqual([
      { owner, period: 'lifetime', at: expect.any(String) },
    ]);
    expect(reachedLimits([ev('k1', { ownerMicros: 501 })], totals)).toEqual([]);
  });
});
