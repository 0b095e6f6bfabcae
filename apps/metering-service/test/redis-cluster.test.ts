// Spend counters on a real Redis Cluster (three nodes): metering rebuilds them from Postgres at start and adds
// each batch's costs per owner in one script call (the owner's keys share its hash tag), releasing the
// gateways' holds for the counted requests in the same call.
import { randomUUID } from 'node:crypto';
import { holdBucket, ownerTag, SPEND_KEYS } from '@gw/contracts';
import { createRedis, redisReady } from '@gw/platform';
import { connectAs, pollUntil, type RunningService, startRedisCluster, startService } from '@gw/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Cluster } from 'ioredis';
import { event, miniCost, privatePipeline, publish } from './events.js';

let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let redis: Cluster;
let keyService: RunningService;
let nc: NatsConnection;

beforeAll(async () => {
  [cluster, keyService, nc] = await Promise.all([
    startRedisCluster(),
    startService('key-service'),
    connectAs('gateway'),
  ]);
  redis = createRedis({ clusterNodes: cluster.nodes.split(',') }, 'test') as Cluster;
  if (!(await redisReady(redis, 10_000))) throw new Error('the test cluster is not ready');
}, 30_000);
afterAll(async () => {
  redis?.disconnect();
  await nc?.close();
  await keyService?.stop();
  await cluster?.stop();
});

it('counts each owner and key on the cluster and releases what was held for them', async () => {
  const pipeline = privatePipeline();
  const metering = await startService('metering-service', {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.nodes,
    ...pipeline.env,
  });
  try {
    // The start-up rebuild sets a counter per totals row: a local database that benchmarks filled has
    // thousands, and on a loaded machine that took longer than 10 s.
    await pollUntil(
      () => redis.exists(SPEND_KEYS.rebuilt),
      (n) => n === 1,
      30_000,
      50,
    );
    const owners = Array.from({ length: 8 }, () => ({ owner: randomUUID(), key: randomUUID() }));
    const bucket = holdBucket(Date.now());
    const events = owners.flatMap(({ owner, key }) =>
      [0, 1, 2].map((i) => ({ ...event(key, owner, i), held: { micros: 500, bucket, generation: 'g1' } })),
    );
    // What the gateways held for these requests, as their script leaves it (plus another request's 70).
    for (const e of events) {
      const tag = ownerTag('account', e.owner.id);
      await redis.incrby(SPEND_KEYS.heldKey(tag, e.keyId, bucket), 500);
      await redis.incrby(SPEND_KEYS.heldOwner(tag, bucket), 500);
    }
    for (const { owner } of owners) {
      await redis.incrby(SPEND_KEYS.heldOwner(ownerTag('account', owner), bucket), 70);
      await redis.set(SPEND_KEYS.holdGeneration(ownerTag('account', owner), bucket), 'g1');
    }
    await publish(nc, events, pipeline.subject);
    for (const { owner, key } of owners) {
      const tag = ownerTag('account', owner);
      const mine = events.filter((e) => e.keyId === key);
      await pollUntil(
        () => redis.get(SPEND_KEYS.key(tag, key, 'lifetime')),
        (v) => Number(v) === miniCost(mine),
        10_000,
        20,
      );
      expect(Number(await redis.get(SPEND_KEYS.owner(tag, 'lifetime')))).toBe(miniCost(mine));
      expect(await redis.get(SPEND_KEYS.heldKey(tag, key, bucket))).toBeNull();
      expect(await redis.get(SPEND_KEYS.heldOwner(tag, bucket))).toBe('70');
    }
  } finally {
    await metering.stop();
    await pipeline.remove();
  }
}, 60_000);
