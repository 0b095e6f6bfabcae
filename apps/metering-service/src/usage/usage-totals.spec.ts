import type { PricedEvent } from './usage-pricer.js';
import { totalsOf } from './usage-totals.js';

const owner = { type: 'account' as const, id: '00000000-0000-4000-8000-0000000000aa' };
const ev = (keyId: string, month: string, cost: number, unpriced = false): PricedEvent => ({
  requestId: `r-${Math.random()}`,
  keyId,
  owner,
  group: 'default',
  model: 'm',
  endpoint: 'chat.completions',
  upstream: 'demo',
  promptTokens: 2,
  completionTokens: 3,
  status: 200,
  stream: false,
  estimated: false,
  latencyMs: 1,
  at: `${month}-15T12:00:00.000Z`,
  costMicros: cost,
  unpriced,
  month,
});

it('sums each key and its owner, for the lifetime and each month, in a stable order', () => {
  const rows = totalsOf([
    ev('k1', '2026-11', 10),
    ev('k2', '2026-11', 20),
    ev('k1', '2026-12', 30, true),
    ev('k1', '2026-11', 40),
  ]);
  const pick = (scope: string, id: string, period: string) =>
    rows.find((r) => r.scope === scope && r.scopeId === id && r.period === period);
  expect(rows).toHaveLength(8);
  expect(pick('key', 'k1', 'lifetime')).toMatchObject({
    requests: 3,
    prompt: 6,
    completion: 9,
    cost: 80,
    unpriced: 1,
  });
  expect(pick('key', 'k1', '2026-11')).toMatchObject({ requests: 2, cost: 50, unpriced: 0 });
  expect(pick('key', 'k1', '2026-12')).toMatchObject({ requests: 1, cost: 30, unpriced: 1 });
  expect(pick('key', 'k2', 'lifetime')).toMatchObject({ requests: 1, cost: 20 });
  expect(pick('account', owner.id, 'lifetime')).toMatchObject({
    requests: 4,
    cost: 100,
    unpriced: 1,
    ownerId: owner.id,
  });
  expect(pick('account', owner.id, '2026-11')).toMatchObject({ requests: 3, cost: 70 });
  expect(pick('account', owner.id, '2026-12')).toMatchObject({ requests: 1, cost: 30 });
  const keys = rows.map((r) => `${r.scope}|${r.scopeId}|${r.period}`);
  expect(keys).toEqual([...keys].sort());
});
