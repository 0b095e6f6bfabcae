// The auth record cache on a real Redis Cluster (three nodes): a record and its owner and tier index sets
// live in different slots, so nothing may write or delete them in one multi-key command.
import { randomUUID } from 'node:crypto';
import { createLogger, createRedis, type RedisClient, redisReady } from '@gw/platform';
import { keyRecord, startRedisCluster } from '@gw/testing';
import type { AuthConfig } from '../src/config.js';
import { RecordCache } from '../src/verify/record-cache.js';

let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let redis: RedisClient;
let cache: RecordCache;

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = createRedis({ clusterNodes: cluster.nodes.split(',') }, 'test');
  // No offline queue (the services' policy): wait for the cluster before the first command.
  if (!(await redisReady(redis, 10_000))) throw new Error('the test cluster is not ready');
  const config = { cacheTtlSeconds: 60, negativeTtlSeconds: 10 } as AuthConfig;
  cache = new RecordCache(redis, config, createLogger('test', 'silent'));
}, 30_000);
afterAll(async () => {
  redis.disconnect();
  await cluster.stop();
});

const record = (owner: string, tier: string) =>
  keyRecord({
    owner: { type: 'account', id: owner, status: 'active', creditLimitMicros: null },
    tier: { name: tier, rpm: null, priority: false, models: ['*'] },
  });
const hash = () => randomUUID().replace(/-/g, '').repeat(2);

it('caches records across slots and evicts them by key, by owner and by tier', async () => {
  const owner = randomUUID();
  const tier = `t-${randomUUID().slice(0, 8)}`;
  const entries = Array.from({ length: 12 }, (_, i) => ({
    hash: hash(),
    record: record(i < 6 ? owner : randomUUID(), i % 2 ? tier : 'pro'),
  }));
  for (const e of entries) await cache.put(e.hash, e.record);
  for (const e of entries) expect(await cache.get(e.hash)).toEqual({ kind: 'record', record: e.record });
  await cache.putUnknown('f'.repeat(64));
  expect(await cache.get('f'.repeat(64))).toEqual({ kind: 'unknown' });

  // Several records (different slots, different nodes) in one eviction.
  await cache.evict([entries[0].hash, entries[7].hash, entries[8].hash]);
  for (const i of [0, 7, 8]) expect(await cache.get(entries[i].hash)).toEqual({ kind: 'miss' });

  await cache.evictOwner({ type: 'account', id: owner });
  for (const e of entries.slice(0, 6)) expect(await cache.get(e.hash)).toEqual({ kind: 'miss' });
  await cache.evictTier(tier);
  for (const [i, e] of entries.entries())
    if (i % 2) expect(await cache.get(e.hash)).toEqual({ kind: 'miss' });
  expect(await cache.get(entries[10].hash)).toEqual({ kind: 'record', record: entries[10].record });
});
