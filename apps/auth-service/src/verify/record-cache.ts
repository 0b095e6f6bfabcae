// Key records in Redis by hash, with index sets per owner and tier so owner/tier events can evict.
// A Redis failure is a cache miss, never an error: key-service is still there behind it.
import { Inject, Injectable } from '@nestjs/common';
import type { KeyRecord, OwnerRef } from '@gw/contracts';
import { counter, type Logger, REDIS } from '@gw/platform';
import type { Redis } from 'ioredis';
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
    @Inject(REDIS) private readonly redis: Redis,
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
    try {
      await this.redis
        .multi()
        .set(recordKey(hash), JSON.stringify(record), 'EX', ttl)
        .sadd(ownerSet(record.owner), hash)
        .expire(ownerSet(record.owner), this.config.cacheTtlSeconds * 2)
        .sadd(tierSet(record.tier.name), hash)
        .expire(tierSet(record.tier.name), this.config.cacheTtlSeconds * 2)
        .exec();
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
      await this.redis.del(...hashes.map(recordKey));
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
      // One key per DEL keeps this valid on Redis Cluster, where the records live in different slots.
      const pipeline = this.redis.pipeline();
      for (const h of hashes) pipeline.del(recordKey(h));
      pipeline.del(set);
      await pipeline.exec();
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown) {
    errors.inc();
    this.logger.warn({ err }, 'auth cache unavailable');
  }
}
