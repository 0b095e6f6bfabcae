// Money end to end: requests through the real gateway, priced and counted by a real metering-service,
// quotas reserved in Redis and enforced, usage read back from key-service.
import { costMicros, holdBucket, type ModelPrice, ownerTag, SPEND_KEYS } from '@gw/contracts';
import { connectAs, pollUntil, type RunningService, startService } from '@gw/testing';
import { countChatTokens } from '@gw/tokenizer';
import { Redis } from 'ioredis';
import type OpenAI from 'openai';
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
let metering: RunningService;
let gw: Awaited<ReturnType<typeof startGateway>>;
let redis: Redis;
let prices: Map<string, ModelPrice>;
let file: string;
const messages = [{ role: 'user' as const, content: 'Count the coins in the jar' }];

beforeAll(async () => {
  [world, upstream, metering] = await Promise.all([
    startWorld(),
    startUpstream(),
    startService('metering-service'),
  ]);
  file = upstreamsFile([
    {
      name: 'demo',
      url: upstream.url,
      extra: {
        models: [
          'gpt-4o-mini',
          'gpt-4o',
          'text-embedding-3-small',
          // Served, but nobody priced it.
          { name: 'model-without-price', upstreamModel: 'gpt-4o-mini' },
          // Priced and re-priced by a test.
          { name: 'repriced-model', upstreamModel: 'gpt-4o-mini' },
        ],
      },
    },
  ]);
  gw = await startGateway({ upstreamsFile: file });
  redis = new Redis(process.env.REDIS_URL!);
  const list: { model: string; inputPrice: number; outputPrice: number }[] = await world.admin.must(
    'GET',
    '/v1/pricing/models',
  );
  prices = new Map(list.map((p) => [p.model, p]));
}, 60_000);
afterAll(async () => {
  redis.disconnect();
  await gw.close();
  await Promise.all([world.stop(), upstream.stop(), metering.stop()]);
});
afterEach(() => upstream.control({ reset: true }));

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: InstanceType<typeof OpenAI.APIError>) => e.code ?? String(e.status),
  );
/** A usage view; null while it cannot be had (another test's metering replica stopping mid-request). */
const usageAt = async (path: string) => {
  const res = await world.admin.call('GET', path);
  return res.status === 200 ? res.body : null;
};
const usageOf = (keyId: string) => usageAt(`/v1/keys/${keyId}/usage`);
const micros = (credits: number) => Math.round(credits * 1e6);
/** Waits until metering has recorded `n` requests of the key; returns its usage view. */
const recorded = async (keyId: string, n: number) =>
  (
    await pollUntil(
      () => usageOf(keyId),
      (u) => (u?.totals.requests ?? -1) >= n,
      10_000,
      50,
    )
  ).value;
const priced = (e: { model: string; promptTokens: number; completionTokens: number }) =>
  costMicros(e.promptTokens, e.completionTokens, prices.get(e.model)!, 1_000_000);
/** What the gateway reserves for `messages` with this max_tokens on gpt-4o-mini. */
const worstCase = (maxTokens: number) =>
  costMicros(countChatTokens(messages), maxTokens, prices.get('gpt-4o-mini')!, 1_000_000);

it('stores exactly the sum of the priced events, streamed or not, to the micro-credit', async () => {
  const account = await world.admin.account('pro');
  const k = await world.admin.key(account);
  const sdk = client(gw.url, k.key);
  const since = new Date();
  for (let i = 0; i < 4; i++) {
    await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 5 + i });
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      ...(i % 2 ? { stream_options: { include_usage: true } } : {}),
    });
    for await (const _ of stream);
  }
  await sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'coins and jars' });
  const view = await recorded(k.id, 9);
  const events = [...(await usageSince(since)).values()].filter((e) => e.keyId === k.id);
  expect(events).toHaveLength(9);
  expect(events.filter((e) => e.stream)).toHaveLength(4);
  expect(events.every((e) => e.completionTokens > 0 || e.endpoint === 'embeddings')).toBe(true);
  const expected = events.reduce((s, e) => s + priced(e), 0);
  expect(expected).toBeGreaterThan(0);
  expect(micros(view.totals.cost)).toBe(expected);
  expect(view.totals.requests).toBe(9);
  expect(view.byModel.map((m: { model: string }) => m.model).sort()).toEqual([
    'gpt-4o',
    'gpt-4o-mini',
    'text-embedding-3-small',
  ]);
  expect(view.series).toHaveLength(1);
  // The key list shows the same spend, and Redis (what quotas read) agrees with Postgres.
  const listed = await world.admin.must('GET', `/v1/keys?ownerType=account&ownerId=${account}`);
  expect(micros(listed.data[0].quota.used)).toBe(expected);
  // Metering updates Redis right after its commit: allow it that moment.
  const tag = ownerTag('account', account);
  const counters = () =>
    Promise.all([
      redis.get(SPEND_KEYS.key(tag, k.id, 'lifetime')),
      redis.get(SPEND_KEYS.owner(tag, since.toISOString().slice(0, 7))),
    ]);
  const { value } = await pollUntil(counters, (c) => c.every((v) => Number(v) === expected), 3000, 10);
  expect(value.map(Number)).toEqual([expected, expected]);
});

it('50 concurrent requests on a key whose credit covers 10: at most the limit is spent', async () => {
  const each = worstCase(8);
  const limit = each * 10;
  const account = await world.admin.account('pro');
  const k = await world.admin.key(account, { quota: { type: 'total', limit: limit / 1e6 } });
  const bucket = holdBucket(Date.now());
  await upstream.control({ latencyMs: 100 });
  const sdk = client(gw.url, k.key);
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 8 })),
    ),
  );
  const accepted = results.filter((r) => r === 'ok').length;
  expect(results.filter((r) => r !== 'ok').every((r) => r === 'insufficient_quota')).toBe(true);
  // All 50 ask at once, so exactly the 10 the credit covers get through; a slow machine may let one in
  // after an earlier one settled below its worst case, never past the limit.
  expect(accepted).toBeGreaterThanOrEqual(10);
  const view = await recorded(k.id, accepted);
  const spent = micros(view.totals.cost);
  console.info(`overspend test: ${accepted}/50 accepted, spent ${spent} of ${limit} micro-credits`);
  expect(spent).toBeLessThanOrEqual(limit);
  expect(view.quota.limit.credits).toBe(limit / 1e6);
  // Metering released every request's hold when it counted it (no call from the gateway).
  const tag = ownerTag('account', account);
  await pollUntil(
    () => redis.mget(SPEND_KEYS.heldKey(tag, k.id, bucket), SPEND_KEYS.heldOwner(tag, bucket)),
    (held) => held.every((v) => v === null),
    3000,
    20,
  );
});

it("an owner's credit limit caps all its keys together", async () => {
  const each = worstCase(6);
  const account = await world.admin.account('pro', { creditLimit: (each * 7) / 1e6 });
  const [a, b] = await Promise.all([world.admin.key(account), world.admin.key(account)]);
  await upstream.control({ latencyMs: 50 });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      outcome(
        client(gw.url, (i % 2 ? a : b).key).chat.completions.create({
          model: 'gpt-4o-mini',
          messages,
          max_tokens: 6,
        }),
      ),
    ),
  );
  const accepted = results.filter((r) => r === 'ok').length;
  expect(accepted).toBeGreaterThanOrEqual(7);
  expect(results.filter((r) => r === 'insufficient_quota')).toHaveLength(20 - accepted);
  const owner = await pollUntil(
    () => usageAt(`/v1/accounts/${account}/usage`),
    (u) => (u?.totals.requests ?? -1) >= accepted,
    10_000,
    50,
  );
  expect(micros(owner.value.quota.used.credits)).toBeLessThanOrEqual(each * 7);
  expect(owner.value.quota.type).toBe('credit');
  // Spend reached the limit: both keys read as exhausted and are refused.
  const listed = await world.admin.must('GET', `/v1/keys?ownerType=account&ownerId=${account}`);
  expect(listed.data.map((k: { status: string }) => k.status)).toEqual(['exhausted', 'exhausted']);
  expect(
    await outcome(client(gw.url, a.key).chat.completions.create({ model: 'gpt-4o-mini', messages })),
  ).toBe('insufficient_quota');
});

it('a key that reached its limit is exhausted, and raising the limit makes it usable at once', async () => {
  const each = worstCase(5);
  const account = await world.admin.account('pro');
  const k = await world.admin.key(account, { quota: { type: 'monthly', limit: (each * 2) / 1e6 } });
  const sdk = client(gw.url, k.key);
  const call = () => outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 5 }));
  expect([await call(), await call()]).toEqual(['ok', 'ok']);
  const view = await recorded(k.id, 2);
  // The reply fills max_tokens, so the real cost is the worst case and the spend is exactly the limit.
  expect(micros(view.totals.cost)).toBe(each * 2);
  expect(view.quota.period).toBe(new Date().toISOString().slice(0, 7));
  // Metering saw the counter reach the limit and said so: the key is listed as exhausted before any
  // request was refused.
  const listed = await pollUntil(
    () => world.admin.must('GET', `/v1/keys?status=exhausted&ownerType=account&ownerId=${account}`),
    (page) => page.data.some((x: { id: string }) => x.id === k.id),
    3000,
    20,
  );
  expect(listed.value.data.map((x: { id: string }) => x.id)).toEqual([k.id]);
  expect(await call()).toBe('insufficient_quota');
  const exhausted = await pollUntil(
    () => world.admin.must('GET', `/v1/keys/${k.id}`),
    (v) => v.status === 'exhausted',
    3000,
    20,
  );
  expect(exhausted.value.quota.used).toBe((each * 2) / 1e6);
  await world.admin.must('PATCH', `/v1/keys/${k.id}`, {
    quota: { type: 'monthly', limit: (each * 10) / 1e6 },
  });
  const again = await pollUntil(call, (r) => r === 'ok', 2000, 20);
  expect(again.value).toBe('ok');
  expect((await world.admin.must('GET', `/v1/keys/${k.id}`)).status).toBe('active');
});

it('a live stream that crosses the limit is allowed to finish, and is billed for all it delivered', async () => {
  // A provider that ignores max_tokens: the real cost exceeds the reservation.
  await upstream.control({ ignoreMaxTokens: true, replyWords: 40 });
  const each = worstCase(5);
  const k = await world.admin.key(await world.admin.account('pro'), {
    quota: { type: 'total', limit: each / 1e6 },
  });
  const since = new Date();
  const stream = await client(gw.url, k.key).chat.completions.create({
    model: 'gpt-4o-mini',
    messages,
    max_tokens: 5,
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  expect(text.split(' ').length).toBe(40);
  const view = await recorded(k.id, 1);
  const [e] = [...(await usageSince(since)).values()].filter((x) => x.keyId === k.id);
  expect(e).toMatchObject({ status: 200, stream: true });
  expect(e.completionTokens).toBeGreaterThan(5);
  expect(micros(view.totals.cost)).toBe(priced(e));
  expect(micros(view.totals.cost)).toBeGreaterThan(each); // over the limit, by this one request only
  const next = await outcome(
    client(gw.url, k.key).chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 5 }),
  );
  expect(next).toBe('insufficient_quota');
});

it("an aborted stream is billed from the upstream's own usage, read on after the client left", async () => {
  await upstream.control({ chunkDelayMs: 40, replyWords: 60 });
  const k = await world.admin.key(await world.admin.account('pro'));
  const since = new Date();
  const ac = new AbortController();
  const stream = await client(gw.url, k.key).chat.completions.create(
    { model: 'gpt-4o', messages, stream: true },
    { signal: ac.signal },
  );
  let chunks = 0;
  try {
    for await (const _ of stream) if (++chunks === 4) ac.abort();
  } catch {
    /* aborted */
  }
  const view = await recorded(k.id, 1);
  const [e] = [...(await usageSince(since)).values()].filter((x) => x.keyId === k.id);
  // The whole answer (2.4 s) ends within the read-on time (5 s): the provider's count is billed, not a guess.
  expect(e).toMatchObject({ status: 499, stream: true, estimated: false });
  expect(e.completionTokens).toBeGreaterThan(4);
  expect(micros(view.totals.cost)).toBe(priced(e));
  expect(view.totals.cost).toBeGreaterThan(0);
});

it('a price change applies to the requests after it (caches are evicted, not waited out)', async () => {
  const k = await world.admin.key(await world.admin.account('pro'));
  const sdk = client(gw.url, k.key);
  const since = new Date();
  const put = (inputPrice: number, outputPrice: number) =>
    world.admin.must('PUT', '/v1/pricing/models/repriced-model', { inputPrice, outputPrice });
  await put(1_000_000, 2_000_000);
  await sdk.chat.completions.create({ model: 'repriced-model', messages, max_tokens: 5 });
  await recorded(k.id, 1);
  await put(10_000_000, 20_000_000);
  await sdk.chat.completions.create({ model: 'repriced-model', messages, max_tokens: 5 });
  const view = await recorded(k.id, 2);
  const events = [...(await usageSince(since)).values()]
    .filter((x) => x.keyId === k.id)
    .sort((a, b) => (a.at < b.at ? -1 : 1));
  const first = costMicros(
    events[0].promptTokens,
    events[0].completionTokens,
    { inputPrice: 1e6, outputPrice: 2e6 },
    1e6,
  );
  const second = costMicros(
    events[1].promptTokens,
    events[1].completionTokens,
    { inputPrice: 1e7, outputPrice: 2e7 },
    1e6,
  );
  expect(second).toBe(first * 10);
  expect(micros(view.totals.cost)).toBe(first + second);
});

it('usage of a model without a price is recorded and flagged, not lost or silently free', async () => {
  const k = await world.admin.key(await world.admin.account('pro'));
  await client(gw.url, k.key).chat.completions.create({ model: 'model-without-price', messages });
  const view = await recorded(k.id, 1);
  expect(view.totals).toMatchObject({ requests: 1, cost: 0, unpricedRequests: 1 });
  expect(view.byModel).toEqual([
    expect.objectContaining({ model: 'model-without-price', unpricedRequests: 1 }),
  ]);
});

it('a client that repeats an x-request-id is billed for every request, and gets its id echoed', async () => {
  const k = await world.admin.key(await world.admin.account('pro'));
  const sdk = client(gw.url, k.key, { defaultHeaders: { 'x-request-id': 'same-id-every-time' } });
  for (let i = 0; i < 3; i++) {
    const { response } = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(response.headers.get('x-request-id')).toBe('same-id-every-time');
  }
  expect((await recorded(k.id, 3)).totals.requests).toBe(3);
});

it('internal services read usage over NATS keys.usage, with the same rules for the acting principal', async () => {
  const mine = await world.admin.account('pro');
  const k = await world.admin.key(mine);
  const strangerKey = await world.admin.key(await world.admin.account('pro'), { permissions: ['read'] });
  await client(gw.url, k.key).chat.completions.create({ model: 'gpt-4o-mini', messages });
  await recorded(k.id, 1);
  const nc = await connectAs('internal');
  try {
    const ask = async (payload: unknown) =>
      (await nc.request('keys.usage', JSON.stringify(payload), { timeout: 5000 })).json<any>();
    const asOperator = await ask({ actor: { type: 'operator' }, keyId: k.id });
    expect(asOperator.ok).toBe(true);
    expect(asOperator.data.totals.requests).toBe(1);
    const asAccount = await ask({
      actor: { type: 'account', id: mine },
      owner: { type: 'account', id: mine },
    });
    expect(asAccount.data.totals.requests).toBe(1);
    const asStranger = await ask({ actor: { type: 'key', id: strangerKey.id }, keyId: k.id });
    expect(asStranger).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const both = await ask({
      actor: { type: 'operator' },
      keyId: k.id,
      owner: { type: 'account', id: mine },
    });
    expect(both).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  } finally {
    await nc.close();
  }
});

it("usage is each tenant's own: another account's key gets 404, bad ranges get 400", async () => {
  const mine = await world.admin.account('pro');
  const k = await world.admin.key(mine, { permissions: ['read', 'write'] });
  const stranger = await world.admin.key(await world.admin.account('pro'), {
    permissions: ['read', 'write'],
  });
  const as = (key: string, path: string) => world.admin.call('GET', path, undefined, key);
  expect((await as(k.key, `/v1/keys/${k.id}/usage`)).status).toBe(200);
  expect((await as(k.key, `/v1/accounts/${mine}/usage`)).status).toBe(200);
  for (const path of [`/v1/keys/${k.id}/usage`, `/v1/accounts/${mine}/usage`]) {
    const res = await as(stranger.key, path);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  }
  const backwards = await as(
    k.key,
    `/v1/keys/${k.id}/usage?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z`,
  );
  expect(backwards.status).toBe(400);
  expect(backwards.body.error.param).toBe('from');
  const unknown = await as(k.key, `/v1/keys/${k.id}/usage?granularity=hour`);
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.param).toBe('granularity');
});

it("with Redis down, quotas are checked against metering's totals and still cannot be overspent", async () => {
  const noRedis = await startGateway({ upstreamsFile: file, redis: { url: 'redis://127.0.0.1:1' } });
  try {
    const each = worstCase(5);
    const k = await world.admin.key(await world.admin.account('pro'), {
      quota: { type: 'total', limit: (each * 2) / 1e6 },
    });
    const sdk = client(noRedis.url, k.key);
    const call = () =>
      outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 5 }));
    const results = await Promise.all(Array.from({ length: 6 }, call));
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.filter((r) => r === 'insufficient_quota')).toHaveLength(4);
    const view = await recorded(k.id, 2);
    expect(micros(view.totals.cost)).toBeLessThanOrEqual(each * 2);
    // Spent to the limit, per metering: refused as exhausted.
    expect(await call()).toBe('insufficient_quota');
  } finally {
    await noRedis.close();
  }
});
