// Forged keys (valid checksum, unknown hash) against the real auth path: how many reach auth-service and
// key-service, counted on NATS for this file's own hashes only (other test files share the bus).
import { createKeyFormat, hashKey } from '@gw/key-format';
import { collect } from '@gw/testing';
import {
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;
type Bus = Awaited<ReturnType<typeof collect>>;

const format = createKeyFormat();
let world: World;
let upstream: Upstream;
let file: string;
let verifies: Bus;
let keyLookups: Bus;

beforeAll(async () => {
  [world, upstream, verifies, keyLookups] = await Promise.all([
    startWorld(),
    startUpstream(),
    collect('auth.verify', 'auth-service'),
    collect('keys.lookup', 'key-service'),
  ]);
  file = upstreamsFile([{ name: 'demo', url: upstream.url }]);
}, 60_000);
afterAll(async () => {
  await Promise.all([verifies.close(), keyLookups.close()]);
  await Promise.all([world.stop(), upstream.stop()]);
});

/** Keys auth-service has never seen; their hashes are what this file counts. */
function forge(n: number) {
  const keys = Array.from({ length: n }, () => format.generate());
  return { keys, hashes: new Set(keys.map(hashKey)) };
}

/** Requests on the bus for these hashes, once everything sent so far has arrived. */
async function asked(bus: Bus, hashes: ReadonlySet<string>) {
  await bus.nc.flush();
  return bus.seen.filter((m) => hashes.has(m.data?.hash)).length;
}

async function models(gw: Gateway, key: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code ?? 'ok', retryAfter: res.headers.get('retry-after') };
}

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  return out;
}

// Enterprise: no tier RPM, so the real key's own requests are never what gets refused.
const realKey = async () => (await world.admin.key(await world.admin.account('enterprise'))).key;

describe('failed authentications are limited per client address', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      upstreamsFile: file,
      failedAuthPerMinute: 20,
      trustedProxies: ['127.0.0.1', '::1'],
    });
  }, 30_000);
  afterAll(() => gw.close());

  it('1,000 forged keys from one address: 20 get 401 and reach auth-service, the rest 429 without a lookup; a real key keeps working', async () => {
    const real = await realKey();
    expect((await models(gw, real)).status).toBe(200);
    const { keys, hashes } = forge(1_000);
    const outcomes = [];
    const realDuring = [];
    for (let i = 0; i < keys.length; i++) {
      outcomes.push(await models(gw, keys[i]));
      if (i % 100 === 10) realDuring.push((await models(gw, real)).status);
    }
    const realAfter = (await models(gw, real)).status;
    const [v, l] = [await asked(verifies, hashes), await asked(keyLookups, hashes)];
    console.log(`1,000 forged keys from one address: ${v} auth.verify, ${l} keys.lookup`);
    expect(outcomes.slice(0, 20).map((o) => `${o.status} ${o.code}`)).toEqual(
      Array(20).fill('401 invalid_api_key'),
    );
    expect(new Set(outcomes.slice(20).map((o) => `${o.status} ${o.code}`))).toEqual(
      new Set(['429 rate_limit_exceeded']),
    );
    expect([...realDuring, realAfter]).toEqual(Array(11).fill(200));
    expect(v).toBe(20);
    expect(l).toBeLessThanOrEqual(20);
  }, 60_000);

  it('the refusal says when to retry (Retry-After)', async () => {
    const from = { 'x-forwarded-for': '198.51.100.1' };
    for (const key of forge(20).keys) expect((await models(gw, key, from)).status).toBe(401);
    const refused = await models(gw, format.generate(), from);
    expect([refused.status, refused.code]).toEqual([429, 'rate_limit_exceeded']);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
  });

  it('a concurrent burst from one address cannot slip more than the limit past it', async () => {
    const from = { 'x-forwarded-for': '198.51.100.2' };
    const { keys, hashes } = forge(300);
    const outcomes = await Promise.all(keys.map((k) => models(gw, k, from)));
    const v = await asked(verifies, hashes);
    console.log(`300 concurrent forged keys from one address: ${v} auth.verify`);
    expect(outcomes.filter((o) => o.code === 'invalid_api_key')).toHaveLength(v);
    expect(outcomes.filter((o) => o.code === 'rate_limit_exceeded')).toHaveLength(300 - v);
    expect(v).toBeLessThanOrEqual(20);
  }, 30_000);
});

describe('one lookup in flight per key', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreamsFile: file, failedAuthPerMinute: 1_000_000 });
  }, 30_000);
  afterAll(() => gw.close());

  it('50 concurrent requests with one forged key cause one auth.verify; repeating them within the TTL, none', async () => {
    const { keys, hashes } = forge(1);
    const burst = () => Promise.all(Array.from({ length: 50 }, () => models(gw, keys[0])));
    expect(new Set((await burst()).map((o) => o.code))).toEqual(new Set(['invalid_api_key']));
    const first = await asked(verifies, hashes);
    expect(new Set((await burst()).map((o) => o.code))).toEqual(new Set(['invalid_api_key']));
    const total = await asked(verifies, hashes);
    console.log(`50 + 50 concurrent requests with one forged key: ${first} + ${total - first} auth.verify`);
    expect([first, total]).toEqual([1, 1]);
  });

  it('50 concurrent first requests with one real key cause one auth.verify', async () => {
    const real = await realKey();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => models(gw, real)));
    expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set([200]));
    expect(await asked(verifies, new Set([hashKey(real)]))).toBe(1);
  });
});

describe('negative cache bound', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      upstreamsFile: file,
      failedAuthPerMinute: 1_000_000,
      negativeCacheMaxEntries: 100,
      // Long enough that only the bound, not the TTL, can drop a verdict during the test.
      negativeTtlMs: 120_000,
    });
  }, 30_000);
  afterAll(() => gw.close());

  it('2,000 forged keys evict no real principal; the oldest refusals go instead', async () => {
    const real = await realKey();
    const realHash = new Set([hashKey(real)]);
    expect((await models(gw, real)).status).toBe(200);
    expect(await asked(verifies, realHash)).toBe(1);
    const { keys, hashes } = forge(2_000);
    const codes = await inBatches(keys, 20, async (k) => (await models(gw, k)).code);
    expect(new Set(codes)).toEqual(new Set(['invalid_api_key']));
    const flood = await asked(verifies, hashes);
    expect((await models(gw, real)).status).toBe(200);
    expect(await asked(verifies, realHash)).toBe(1);
    // The bound held: the newest refusals are still cached, the oldest were dropped and are asked again.
    await models(gw, keys[keys.length - 1]);
    expect(await asked(verifies, hashes)).toBe(flood);
    await models(gw, keys[0]);
    expect(await asked(verifies, hashes)).toBe(flood + 1);
    console.log(`2,000 forged keys: ${flood} auth.verify; the real key's principal stayed cached`);
  }, 90_000);
});
