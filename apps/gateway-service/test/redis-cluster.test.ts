// Rate limits and credit reservations on a real Redis Cluster (three nodes): every key of one script call
// carries the owner's hash tag, so each call runs on one node whatever the owner.
import { randomUUID } from 'node:crypto';
import { compilePrincipal, creditLimits, type Principal } from '@gw/access';
import { holdBucket, type KeyRecord, ownerTag, SPEND_KEYS } from '@gw/contracts';
import { createLogger, createRedis, NatsClient, redisReady } from '@gw/platform';
import { keyRecord, startRedisCluster } from '@gw/testing';
import type { Cluster } from 'ioredis';
import type { GatewayConfig } from '../src/config.js';
import { Limiter } from '../src/limits/limiter.js';
import { QuotaFallback } from '../src/limits/quota-fallback.js';

let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let redis: Cluster;
let limiter: Limiter;
const config = { replicas: 1, reservationTtlMs: 60_000 } as GatewayConfig;
const logger = createLogger('test', 'silent');
// Never connected: a fallback to metering would fail, so every allowed request below came from the cluster.
const noNats = new NatsClient(
  { servers: ['nats://127.0.0.1:1'], inboxPrefix: '_INBOX.test' },
  'test',
  logger,
);

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = createRedis({ clusterNodes: cluster.nodes.split(',') }, 'test') as Cluster;
  // No offline queue (the services' policy): wait for the cluster before the first command.
  if (!(await redisReady(redis, 10_000))) throw new Error('the test cluster is not ready');
  limiter = new Limiter(redis, config, logger, new QuotaFallback(noNats, config));
}, 30_000);
afterAll(async () => {
  limiter.onModuleDestroy();
  redis.disconnect();
  await cluster.stop();
});

const principal = (over: Partial<KeyRecord> = {}): Principal => compilePrincipal(keyRecord(over));
const reserve = (p: Principal, now: number, micros: number) => ({
  requestId: randomUUID(),
  micros,
  limits: creditLimits(p, now)!,
});

it('key RPM, tier RPM and TPM hold for owners spread over every node', async () => {
  const now = Date.now();
  const owners = Array.from({ length: 9 }, () =>
    principal({ rpm: 3, tpm: 1000, tier: { name: 'pro', rpm: 5, priority: false, models: ['*'] } }),
  );
  for (const p of owners) {
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await limiter.check(p, 10, now));
    expect(got.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(got[3]).toMatchObject({ refusedBy: 'key_rpm' });
    expect(
      (await limiter.check(principal({ ...p.record, id: randomUUID(), rpm: null, tpm: 50 }), 60, now))
        .allowed,
    ).toBe(false);
  }
  // Checks of many owners in one turn of the event loop (how a busy gateway sends them) each reach their node.
  const many = Array.from({ length: 24 }, () => principal({ rpm: 100 }));
  const together = await Promise.all(many.map((p) => limiter.check(p, 10, now)));
  expect(together.every((d) => d.allowed)).toBe(true);
  // The owners' keys were on more than one node.
  const slots = await redis.cluster('SLOTS');
  const nodeOf = (slot: number) => slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
  const nodesUsed = new Set(
    await Promise.all(
      owners.map(async (p) =>
        nodeOf(Number(await redis.cluster('KEYSLOT', ownerTag('account', p.record.owner.id)))),
      ),
    ),
  );
  expect(nodesUsed.size).toBeGreaterThan(1);
});

it("concurrent reservations never pass the quota; they are held in the owner's slot", async () => {
  const p = principal({ quota: { type: 'total', limitMicros: 1000, exhaustedPeriod: null } });
  const now = Date.now();
  const decisions = await Promise.all(
    Array.from({ length: 20 }, () => {
      const r = reserve(p, now, 100);
      return limiter.check(p, 10, now, r).then((d) => ({ d, r }));
    }),
  );
  const allowed = decisions.filter((x) => x.d.allowed);
  expect(allowed).toHaveLength(10);
  expect(decisions.filter((x) => !x.d.allowed).every((x) => x.d.refusedBy === 'key_quota')).toBe(true);
  const tag = ownerTag('account', p.record.owner.id);
  expect(await redis.get(SPEND_KEYS.heldOwner(tag, holdBucket(now)))).toBe('1000');
  expect(await redis.get(SPEND_KEYS.heldKey(tag, p.record.id, holdBucket(now)))).toBe('1000');
  // Metering's spend counter (same slot) is read by the same script.
  const q = principal({ quota: { type: 'total', limitMicros: 1000, exhaustedPeriod: null } });
  await redis.set(SPEND_KEYS.key(ownerTag('account', q.record.owner.id), q.record.id, 'lifetime'), 995);
  expect(await limiter.check(q, 10, now, reserve(q, now, 10))).toMatchObject({
    allowed: false,
    refusedBy: 'key_quota',
  });
});
