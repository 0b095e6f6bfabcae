// The quota step of the limits script on the real Redis, with the clock passed in: a monthly quota is
// usable again when the UTC month turns (no job), a total one is not, and what is held for a request that
// died is freed with its bucket.
import { randomUUID } from 'node:crypto';
import { compilePrincipal, creditLimits, type Principal } from '@gw/access';
import {
  HOLD_BUCKET_MS,
  holdBucket,
  holdBucketsRead,
  type KeyRecord,
  ownerTag,
  SPEND_KEYS,
} from '@gw/contracts';
import { createLogger, NatsClient } from '@gw/platform';
import { keyRecord } from '@gw/testing';
import { Redis } from 'ioredis';
import type { GatewayConfig } from '../src/config.js';
import { Limiter } from '../src/limits/limiter.js';
import { QuotaFallback } from '../src/limits/quota-fallback.js';

let redis: Redis;
let limiter: Limiter;
const config = { replicas: 1, reservationTtlMs: 60_000 } as GatewayConfig;
const logger = createLogger('test', 'silent');
// Never connected: a metering that cannot be asked (the fallback's own failure case).
const noNats = new NatsClient(
  { servers: ['nats://127.0.0.1:1'], inboxPrefix: '_INBOX.test' },
  'test',
  logger,
);

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
  limiter = new Limiter(redis, config, logger, new QuotaFallback(noNats, config));
});
afterAll(() => {
  limiter.onModuleDestroy();
  redis.disconnect();
});

function principal(quota: KeyRecord['quota'], creditLimitMicros: number | null = null) {
  return compilePrincipal(
    keyRecord({
      owner: { type: 'account', id: randomUUID(), status: 'active', creditLimitMicros },
      tier: { name: 'enterprise', rpm: null, priority: false, models: ['*'] },
      permissions: ['read'],
      quota,
    }),
  );
}

const lastOfNovember = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
const firstOfDecember = Date.UTC(2026, 11, 1, 0, 0, 0, 0);
/** What the gateway reserves for a request of `p` at `now` costing at most `micros`. */
const reserve = (p: Principal, now: number, micros: number) => ({
  requestId: randomUUID(),
  micros,
  limits: creditLimits(p, now)!,
});

it('a monthly quota spent in November is usable again on the first instant of December', async () => {
  const p = principal({ type: 'monthly', limitMicros: 1000, exhaustedPeriod: null });
  const tag = ownerTag('account', p.record.owner.id);
  // Metering counted 1000 micro-credits in November.
  await redis.set(SPEND_KEYS.key(tag, p.record.id, '2026-11'), 1000, 'EX', 60);
  const nov = await limiter.check(p, 10, lastOfNovember, reserve(p, lastOfNovember, 10));
  expect(nov).toMatchObject({ allowed: false, refusedBy: 'key_quota', exhausted: true });
  const dec = await limiter.check(p, 10, firstOfDecember, reserve(p, firstOfDecember, 10));
  expect(dec.allowed).toBe(true);
});

it('a total quota does not renew with the month', async () => {
  const p = principal({ type: 'total', limitMicros: 1000, exhaustedPeriod: null });
  const tag = ownerTag('account', p.record.owner.id);
  await redis.set(SPEND_KEYS.key(tag, p.record.id, 'lifetime'), 995, 'EX', 60);
  expect(await limiter.check(p, 10, lastOfNovember, reserve(p, lastOfNovember, 10))).toMatchObject({
    allowed: false,
    refusedBy: 'key_quota',
    exhausted: false, // 5 left: not used up, but not enough for this request's worst case
  });
  expect(await limiter.check(p, 10, firstOfDecember, reserve(p, firstOfDecember, 10))).toMatchObject({
    allowed: false,
  });
  expect((await limiter.check(p, 10, firstOfDecember, reserve(p, firstOfDecember, 5))).allowed).toBe(true);
});

it('counts a hold until its bucket is older than the reservation TTL, then frees room for others', async () => {
  const p = principal({ type: 'total', limitMicros: 100, exhaustedPeriod: null });
  const t0 = Date.UTC(2026, 10, 22, 12);
  // A request holds 80 and its gateway dies: metering never counts it.
  expect((await limiter.check(p, 10, t0, reserve(p, t0, 80))).allowed).toBe(true);
  expect(await limiter.check(p, 10, t0 + 1000, reserve(p, t0 + 1000, 30))).toMatchObject({
    allowed: false,
    refusedBy: 'key_quota',
  });
  // Redis drops the bucket's keys at its end plus the TTL (the PTTL is checked below). A clock passed in
  // does not move Redis's, so this checks the other bound: a bucket older than the TTL is not read at all.
  const later = (holdBucket(t0) + holdBucketsRead(config.reservationTtlMs)) * HOLD_BUCKET_MS;
  expect((await limiter.check(p, 10, later - 1, reserve(p, later - 1, 30))).allowed).toBe(false);
  const decision = await limiter.check(p, 10, later, reserve(p, later, 30));
  expect(decision).toMatchObject({ allowed: true, held: { micros: 30, bucket: holdBucket(later) } });
  const tag = ownerTag('account', p.record.owner.id);
  expect(await redis.get(SPEND_KEYS.heldKey(tag, p.record.id, holdBucket(later)))).toBe('30');
});

it('counts a hold already taken in the next bucket (a replica a little ahead, or a request checked later)', async () => {
  const p = principal({ type: 'total', limitMicros: 100, exhaustedPeriod: null });
  const boundary = (holdBucket(Date.UTC(2026, 10, 22, 12)) + 1) * HOLD_BUCKET_MS;
  expect(await limiter.check(p, 10, boundary, reserve(p, boundary, 80))).toMatchObject({
    allowed: true,
    held: { bucket: holdBucket(boundary) },
  });
  // One millisecond earlier, in the bucket before: the 80 held after it still counts.
  expect(await limiter.check(p, 10, boundary - 1, reserve(p, boundary - 1, 30))).toMatchObject({
    allowed: false,
    refusedBy: 'key_quota',
  });
});

it("an owner's credit limit counts every key of the owner", async () => {
  const a = principal({ type: 'unlimited', limitMicros: null, exhaustedPeriod: null }, 100);
  const b = compilePrincipal({ ...a.record, id: randomUUID() });
  const now = Date.UTC(2026, 10, 22, 12);
  expect((await limiter.check(a, 10, now, reserve(a, now, 60))).allowed).toBe(true);
  expect(await limiter.check(b, 10, now, reserve(b, now, 60))).toMatchObject({
    allowed: false,
    refusedBy: 'owner_credit',
  });
  expect((await limiter.check(b, 10, now, reserve(b, now, 40))).allowed).toBe(true);
});

it('keeps amounts exact up to the largest limit the API accepts (1e9 credits)', async () => {
  const p = principal({ type: 'total', limitMicros: 1e15, exhaustedPeriod: null });
  const now = Date.UTC(2026, 10, 22, 12);
  const tag = ownerTag('account', p.record.owner.id);
  expect((await limiter.check(p, 10, now, reserve(p, now, 123_456_789_012_345))).allowed).toBe(true);
  expect((await limiter.check(p, 10, now, reserve(p, now, 876_543_210_987_654))).allowed).toBe(true);
  expect(await redis.get(SPEND_KEYS.heldKey(tag, p.record.id, holdBucket(now)))).toBe('999999999999999');
  // Exactly one micro-credit is left.
  expect((await limiter.check(p, 10, now, reserve(p, now, 2))).allowed).toBe(false);
  expect((await limiter.check(p, 10, now, reserve(p, now, 1))).allowed).toBe(true);
  expect(await redis.get(SPEND_KEYS.heldOwner(tag, holdBucket(now)))).toBe('1000000000000000');
});

it("holds add up per key and for the owner in the request's bucket, which expires after the TTL", async () => {
  const a = principal({ type: 'total', limitMicros: 1e9, exhaustedPeriod: null });
  // Another key of the same owner.
  const b = compilePrincipal({ ...a.record, id: randomUUID() });
  const now = Date.now();
  const bucket = holdBucket(now);
  const tag = ownerTag('account', a.record.owner.id);
  const generations = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const p = i % 2 ? b : a;
    const d = await limiter.check(p, 10, now, reserve(p, now, 1000));
    expect(d).toMatchObject({ allowed: true, held: { micros: 1000, bucket } });
    generations.add(d.held!.generation);
  }
  // One generation for the bucket, the one Redis keeps (with the holds' expiry).
  expect([...generations]).toEqual([await redis.get(SPEND_KEYS.holdGeneration(tag, bucket))]);
  expect(await redis.get(SPEND_KEYS.heldOwner(tag, bucket))).toBe('40000');
  expect(await redis.get(SPEND_KEYS.heldKey(tag, a.record.id, bucket))).toBe('20000');
  expect(await redis.get(SPEND_KEYS.heldKey(tag, b.record.id, bucket))).toBe('20000');
  const expiry = (bucket + 1) * HOLD_BUCKET_MS + config.reservationTtlMs - now;
  const ttl = await redis.pttl(SPEND_KEYS.heldOwner(tag, bucket));
  expect(ttl).toBeGreaterThan(expiry - 5000);
  expect(ttl).toBeLessThanOrEqual(expiry);
  expect(await redis.pttl(SPEND_KEYS.holdGeneration(tag, bucket))).toBeLessThanOrEqual(expiry);
  // Redis lost the bucket (a restart without persistence): the next hold starts a new generation.
  await redis.del(SPEND_KEYS.holdGeneration(tag, bucket));
  const next = await limiter.check(a, 10, now, reserve(a, now, 1000));
  expect(next.held!.generation).not.toBe([...generations][0]);
});

describe('with Redis and metering both unreachable', () => {
  const deadRedis = () =>
    new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });

  it('fails closed: a key with a limit gets service_unavailable, a key without one is served', async () => {
    const dead = deadRedis();
    const closed = new Limiter(dead, config, logger, new QuotaFallback(noNats, config));
    const limitedKey = principal({ type: 'total', limitMicros: 1000, exhaustedPeriod: null });
    expect(await closed.check(limitedKey, 10, Date.now(), reserve(limitedKey, Date.now(), 10))).toMatchObject(
      {
        allowed: false,
        refusedBy: 'unavailable',
      },
    );
    const free = compilePrincipal({
      ...limitedKey.record,
      quota: { type: 'unlimited', limitMicros: null, exhaustedPeriod: null },
    });
    expect((await closed.check(free, 10, Date.now())).allowed).toBe(true);
    closed.onModuleDestroy();
    dead.disconnect();
  });

  it('fails open only when the operator opted in', async () => {
    const dead = deadRedis();
    const open = { ...config, quotaFailOpen: true } as GatewayConfig;
    const opened = new Limiter(dead, open, logger, new QuotaFallback(noNats, open));
    const p = principal({ type: 'total', limitMicros: 1000, exhaustedPeriod: null });
    expect((await opened.check(p, 10, Date.now(), reserve(p, Date.now(), 10))).allowed).toBe(true);
    opened.onModuleDestroy();
    dead.disconnect();
  });
});
