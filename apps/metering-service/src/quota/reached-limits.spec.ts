import { ownerTag, SPEND_KEYS } from '@gw/contracts';
import type { PricedEvent } from '../usage/usage-pricer.js';
import { crossedThresholds, reachedLimits } from './spend-counters.js';

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
  month: '2026-11',
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

describe('crossedThresholds', () => {
  const keyMonth = SPEND_KEYS.key(tag, 'k1', '2026-11');
  const keyLife = SPEND_KEYS.key(tag, 'k2', 'lifetime');
  const ownerLife = SPEND_KEYS.owner(tag, 'lifetime');

  it('announces a key whose counter went from below 80 % of its quota to at or above it in this batch, once', () => {
    const totals = new Map([
      [keyMonth, 85],
      [keyLife, 79],
    ]);
    const added = new Map([
      [keyMonth, 10],
      [keyLife, 10],
    ]);
    const out = crossedThresholds(
      [
        ev('k1', { key: { micros: 100, period: 'monthly' } }),
        ev('k1', { key: { micros: 100, period: 'monthly' } }),
        ev('k2', { key: { micros: 100, period: 'total' } }),
      ],
      totals,
      added,
    );
    expect(out).toEqual([
      {
        keyId: 'k1',
        owner,
        period: '2026-11',
        percent: 80,
        limitMicros: 100,
        spentMicros: 85,
        at: expect.any(String),
      },
    ]);
  });

  it('is silent when the counter was already past 80 % before the batch, and counts exactly 80 % as crossed', () => {
    const limits = { key: { micros: 100, period: 'monthly' as const } };
    expect(
      crossedThresholds([ev('k1', limits)], new Map([[keyMonth, 95]]), new Map([[keyMonth, 10]])),
    ).toEqual([]);
    expect(
      crossedThresholds([ev('k1', limits)], new Map([[keyMonth, 80]]), new Map([[keyMonth, 1]])),
    ).toHaveLength(1);
    expect(
      crossedThresholds([ev('k1', limits)], new Map([[keyMonth, 79]]), new Map([[keyMonth, 79]])),
    ).toEqual([]);
    // One batch can cross 80 % and reach the limit: both are announced (reachedLimits does the latter).
    expect(
      crossedThresholds([ev('k1', limits)], new Map([[keyMonth, 120]]), new Map([[keyMonth, 60]])),
    ).toHaveLength(1);
  });

  it("announces an owner's credit limit crossing, and ignores events without limits or counters", () => {
    const totals = new Map([[ownerLife, 400]]);
    const added = new Map([[ownerLife, 50]]);
    expect(crossedThresholds([ev('k1', undefined)], totals, added)).toEqual([]);
    expect(crossedThresholds([ev('k1', { ownerMicros: 500 })], totals, added)).toEqual([
      { owner, period: 'lifetime', percent: 80, limitMicros: 500, spentMicros: 400, at: expect.any(String) },
    ]);
    expect(crossedThresholds([ev('k1', { ownerMicros: 400 })], totals, added)).toEqual([]);
    expect(crossedThresholds([ev('k1', { ownerMicros: 500 })], new Map(), added)).toEqual([]);
    expect(crossedThresholds([ev('k1', { ownerMicros: 0 })], totals, added)).toEqual([]);
  });
});
