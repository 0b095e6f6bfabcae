// The credit reservation covers everything the forwarded request can cost: every answer of `n`, `best_of`
// and prompt arrays, both output-cap fields, requests without a cap, and /v1/generate. Concurrent requests of
// every shape on a key whose quota covers a few of them never spend past it.
import { costMicros, type ModelPrice } from '@gw/contracts';
import { pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  usageSince,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let price: ModelPrice;
type Listed = ModelPrice & { model: string };
const CEILING = 50;

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([
      {
        name: 'demo',
        url: upstream.url,
        extra: { models: [{ name: 'gpt-4o-mini', maxOutputTokens: CEILING }] },
      },
    ]),
  });
  const list: Listed[] = await world.admin.must('GET', '/v1/pricing/models');
  price = list.find((p) => p.model === 'gpt-4o-mini')!;
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});
afterEach(() => upstream.control({ reset: true, resetStats: true }));

const post = (path: string, key: string, body: Record<string, unknown>) =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', ...body }),
  });

/** Fires `count` concurrent requests on a fresh key whose total quota is `limit` micro-credits; returns spend. */
async function burst(limitMicros: number, count: number, path: string, body: Record<string, unknown>) {
  const k = await world.admin.key(await world.admin.account('enterprise'), {
    quota: { type: 'total', limit: limitMicros / 1e6 },
  });
  const since = new Date();
  const statuses = await Promise.all(
    Array.from({ length: count }, () => post(path, k.key, body).then((r) => r.status)),
  );
  const accepted = statuses.filter((s) => s === 200).length;
  const events = (
    await pollUntil(
      async () => [...(await usageSince(since)).values()].filter((e) => e.keyId === k.id),
      (list) => list.length >= accepted,
      10_000,
      100,
    )
  ).value;
  const spent = events.reduce(
    (s, e) => s + costMicros(e.promptTokens, e.completionTokens, price, 1_000_000),
    0,
  );
  return { statuses, accepted, spent, events };
}

const user = [{ role: 'user', content: 'Count the coins in the jar' }];
const SHAPES: [string, string, Record<string, unknown>][] = [
  ['chat with n', '/v1/chat/completions', { messages: user, n: 4, max_tokens: 20 }],
  [
    'chat with max_completion_tokens past the ceiling',
    '/v1/chat/completions',
    { messages: user, max_completion_tokens: 1_000_000 },
  ],
  ['chat without any cap', '/v1/chat/completions', { messages: user }],
  [
    'completions with best_of',
    '/v1/completions',
    { prompt: 'Count the coins', n: 1, best_of: 4, max_tokens: 20 },
  ],
  [
    'completions with a prompt array',
    '/v1/completions',
    { prompt: ['one', 'two', 'three', 'four'], max_tokens: 20 },
  ],
  ['generate', '/v1/generate', { prompt: 'Count the coins in the jar '.repeat(20), max_tokens: 100_000 }],
];

describe('spend never passes the limit, whatever the shape', () => {
  it.each(SHAPES)('%s', async (_name, path, body) => {
    // Long answers: each one runs to whatever cap the provider is given.
    await upstream.control({ replyWords: 400 });
    const one = await burst(1e12, 1, path, body);
    expect(one.accepted).toBe(1);
    const each = one.spent;
    // A quota worth about three such requests, twelve of them at once.
    const limit = Math.floor(each * 3.5);
    const r = await burst(limit, 12, path, body);
    console.info(`${_name}: ${r.accepted}/12 accepted, spent ${r.spent} of ${limit} micro-credits`);
    expect(r.spent).toBeLessThanOrEqual(limit);
    expect(r.accepted).toBeGreaterThanOrEqual(1);
    expect(r.statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
  });
});

describe('the effective cap is always written into the forwarded body', () => {
  it('a request without a cap is forwarded with the model ceiling', async () => {
    const k = await world.admin.key(await world.admin.account('pro'));
    await client(gw.url, k.key).chat.completions.create({ model: 'gpt-4o-mini', messages: user as any });
    expect(await upstream.stats()).toMatchObject({ lastMaxTokens: CEILING, lastMaxCompletionTokens: null });
  });

  it('max_completion_tokens past the ceiling is cut to it, in the field the provider reads; generate is capped too', async () => {
    const k = await world.admin.key(await world.admin.account('pro'));
    await post('/v1/chat/completions', k.key, { messages: user, max_completion_tokens: 9_999 });
    expect(await upstream.stats()).toMatchObject({ lastMaxTokens: CEILING, lastMaxCompletionTokens: null });
    await post('/v1/chat/completions', k.key, { messages: user, max_completion_tokens: 7 });
    expect(await upstream.stats()).toMatchObject({ lastMaxTokens: 7, lastMaxCompletionTokens: null });
    await post('/v1/generate', k.key, { prompt: 'hi', max_tokens: 9_999 });
    expect(await upstream.stats()).toMatchObject({ lastMaxTokens: CEILING });
  });

  it('more answers than MAX_CHOICES are refused, naming the field', async () => {
    const k = await world.admin.key(await world.admin.account('pro'));
    const res = await post('/v1/chat/completions', k.key, { messages: user, n: 17 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'invalid_request', param: 'n' });
  });
});
