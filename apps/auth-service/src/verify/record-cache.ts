// Key records in Redis by hash, with index sets per owner and tier so owner/tier events can evict.
// A Redis failure is a cache miss, never an error: key-service is still there behind it.
import { Inject, Injectable } from '@nestjs/common';
import type { KeyRecord, OwnerRef } from '@gw/contracts';
import { counter, type Logger, REDIS, type RedisClient } from '@gw/platform';
import { type AuthConfig, CONFIG, LOGGER } from '../config.js';

const UNKNOWN = '0';
const errors = counter(
  'auth_cache_errors_total',
  'Redis failures in the auth record cache (served without cache)',
);

const recordKey = (hash: string) => `auth:rec:${hash}`;
const ownerSet = (o: { type: string; id: string }) => `auth:owner:${o.type}:${o.id}`;
const tierSet = (tier: string) => `auth:tier:${tier}`;

export type Cached = { kind: 'record'; record: KeyRecord } | { kind: 'unknown' } | { kind: 'miss' };

@Injectable()
export class RecordCache {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) private readonly config: AuthConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async get(hash: string): Promise<Cached> {
    try {
      const raw = await this.redis.get(recordKey(hash));
      if (raw === null) return { kind: 'miss' };
      return raw === UNKNOWN ? { kind: 'unknown' } : { kind: 'record', record: JSON.parse(raw) as KeyRecord };
    } catch (err) {
      this.failed(err);
      return { kind: 'miss' };
    }
  }

  async put(hash: string, record: KeyRecord): Promise<void> {
    let ttl = this.config.cacheTtlSeconds;
    // An old secret in its grace period must not outlive it in the cache.
    if (record.secretValidUntil) {
      ttl = Math.max(1, Math.min(ttl, Math.ceil((Date.parse(record.secretValidUntil) - Date.now()) / 1000)));
    }
    // The record and its index sets live in different slots (a Redis Cluster takes no MULTI across them):
    // index first, so a record in the cache is always reachable by an owner or tier eviction.
    const indexTtl = this.config.cacheTtlSeconds * 2;
    try {
      await Promise.all([
        this.redis
          .sadd(ownerSet(record.owner), hash)
          .then(() => this.redis.expire(ownerSet(record.owner), indexTtl)),
        this.redis
          .sadd(tierSet(record.tier.name), hash)
          .then(() => this.redis.expire(tierSet(record.tier.name), indexTtl)),
      ]);
      await this.redis.set(recordKey(hash), JSON.stringify(record), 'EX', ttl);
    } catch (err) {
      this.failed(err);
    }
  }

  async putUnknown(hash: string): Promise<void> {
    try {
      await this.redis.set(recordKey(hash), UNKNOWN, 'EX', this.config.negativeTtlSeconds);
    } catch (err) {
      this.failed(err);
    }
  }

  async evict(hashes: string[]): Promise<void> {
    if (!hashes.length) return;
    try {
      // One DEL per key: on a Redis Cluster the records live in different slots.
      await Promise.all(hashes.map((h) => this.redis.del(recordKey(h))));
    } catch (err) {
      this.failed(err);
    }
  }

  async evictOwner(owner: OwnerRef): Promise<void> {
    await this.evictSet(ownerSet(owner));
  }

  async evictTier(tier: string): Promise<void> {
    await this.evictSet(tierSet(tier));
  }

  private async evictSet(set: string): Promise<void> {
    try {
      const hashes = await this.redis.smembers(set);
      // One DEL per key, not a pipeline: on a Redis Cluster the records live in different slots and nodes.
      // SREM what was read, not DEL: a record indexed meanwhile keeps its index entry.
      await Promise.all(hashes.map((h) => this.redis.del(recordKey(h))));
      if (hashes.length) await this.redis.srem(set, ...hashes);
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown) {
    errors.inc();
    this.logger.warn({ err }, 'auth cache unavailable');
  }
}
