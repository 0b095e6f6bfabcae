// ioredis with DESIGN's failure policy: short command timeout, no offline queue (fail fast, never pile up).
// One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): every multi-key command and script of the
// services keeps its keys in one slot (an owner's hash tag), and the rest are single-key commands.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { env } from './config.js';

/** What the services are given: commands, scripts and pipelines work the same on both. */
export type RedisClient = Redis | Cluster;

export type RedisConnectionConfig = { url: string } | { clusterNodes: string[] };

/** Spread into a service's environment schema (one of the two is required). */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

export const redisEnv = {
  /** redis:// or rediss:// URL of one Redis server (or set REDIS_CLUSTER_NODES for a cluster). */
  REDIS_URL: z.preprocess(unsetIfEmpty, env.redisUrl.optional()),
  /** Comma-separated redis:// or rediss:// URLs of some cluster nodes (credentials and TLS from the first). */
  REDIS_CLUSTER_NODES: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .min(1)
      .refine(
        (s) => s.split(',').every((u) => /^rediss?:\/\/[^\s,]+$/.test(u.trim())),
        'must be redis:// or rediss:// URLs, comma-separated',
      )
      .optional(),
  ),
};

export function redisConnection(
  e: { REDIS_URL?: string; REDIS_CLUSTER_NODES?: string },
  ctx: z.RefinementCtx,
): RedisConnectionConfig {
  if (e.REDIS_URL && e.REDIS_CLUSTER_NODES)
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_CLUSTER_NODES'],
      message: 'give REDIS_URL or REDIS_CLUSTER_NODES, not both',
    });
  if (e.REDIS_CLUSTER_NODES) return { clusterNodes: e.REDIS_CLUSTER_NODES.split(',').map((s) => s.trim()) };
  if (!e.REDIS_URL)
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'required (or REDIS_CLUSTER_NODES for a cluster)',
    });
  return { url: e.REDIS_URL ?? '' };
}

const NODE_OPTIONS: RedisOptions = {
  commandTimeout: 250,
  connectTimeout: 1000,
  maxRetriesPerRequest: 0,
};

export function createRedis(config: RedisConnectionConfig | string, name: string): RedisClient {
  const c = typeof config === 'string' ? { url: config } : config;
  if ('url' in c) {
    return new Redis(c.url, {
      ...NODE_OPTIONS,
      // Commands issued in the same turn of the event loop (concurrent requests' limit checks) go out in one
      // write: a loopback write costs both processes a wake-up and the kernel's whole TCP path (issue #14).
      // Not on a Cluster: there a MOVED inside a mixed pipeline is not followed, and commands wait for the
      // slot map instead of failing fast.
      enableAutoPipelining: true,
      connectionName: name,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      lazyConnect: false,
    });
  }
  const nodes = c.clusterNodes.map((u) => new URL(u));
  const first = nodes[0];
  return new Cluster(
    nodes.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    {
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
      slotsRefreshTimeout: 1000,
      redisOptions: {
        ...NODE_OPTIONS,
        connectionName: name,
        username: decodeURIComponent(first.username) || undefined,
        password: decodeURIComponent(first.password) || undefined,
        tls: first.protocol === 'rediss:' ? {} : undefined,
      },
    },
  );
}

/** Resolves true once connected, false after the timeout: callers decide whether to start degraded. */
export function redisReady(redis: RedisClient, timeoutMs = 2000): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    function done(ok: boolean) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    }
    redis.on('ready', onReady);
  });
}
