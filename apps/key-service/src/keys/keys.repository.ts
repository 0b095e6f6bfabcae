import { Injectable } from '@nestjs/common';
import type { KeyStatus, OwnerRef } from '@gw/contracts';
import { DataSource, type EntityManager, LessThan, MoreThan, type SelectQueryBuilder } from 'typeorm';
import { ApiKeyEntity, RetiredSecretEntity } from '../db/entities/index.js';
import type { OwnerScope } from '../access/caller.js';
import { inScope } from '../access/in-scope.js';
import { containsPattern, nameContains } from '../name-search.js';
import { utcMonth } from '../tokens.js';

export interface PageCursor {
  createdAt: string;
  id: string;
}

/** Keys data access. Reads of key ids always go through an owner scope: an unscoped read cannot be written. */
@Injectable()
export class KeysRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(ApiKeyEntity);
  }

  private scoped(scope: OwnerScope, em: EntityManager = this.ds.manager): SelectQueryBuilder<ApiKeyEntity> {
    const qb = em.getRepository(ApiKeyEntity).createQueryBuilder('k').where('k.deleted_at IS NULL');
    return inScope(qb, 'k', scope);
  }

  findInScope(id: string, scope: OwnerScope): Promise<ApiKeyEntity | null> {
    return this.scoped(scope).andWhere('k.id = :id', { id }).getOne();
  }

  /**
   * The key row locked for a change inside `em`'s transaction: changes to one key run one at a time, and
   * each re-reads the row after the lock, so a delete is never undone by a change that read it earlier.
   */
  lockInScope(em: EntityManager, id: string, scope: OwnerScope): Promise<ApiKeyEntity | null> {
    return this.scoped(scope, em).andWhere('k.id = :id', { id }).setLock('pessimistic_write').getOne();
  }

  async listForOwner(
    owner: OwnerRef,
    opts: { status?: KeyStatus; search?: string; limit: number; after?: PageCursor; now: Date },
  ): Promise<ApiKeyEntity[]> {
    const qb = this.scoped({ all: false, owners: [owner] });
    const month = utcMonth(opts.now);
    const exhausted = `((k.quota_type = 'total' AND k.exhausted_period = 'lifetime') OR (k.quota_type = 'monthly' AND k.exhausted_period = :month))`;
    const expired = `(k.expires_at IS NOT NULL AND k.expires_at <= :now)`;
    const params = { now: opts.now, month };
    switch (opts.status) {
      case 'disabled':
        qb.andWhere('NOT k.enabled');
        break;
      case 'expired':
        qb.andWhere(`k.enabled AND ${expired}`, params);
        break;
      case 'exhausted':
        qb.andWhere(`k.enabled AND NOT ${expired} AND ${exhausted}`, params);
        break;
      case 'active':
        qb.andWhere(`k.enabled AND NOT ${expired} AND NOT ${exhausted}`, params);
        break;
    }
    if (opts.search) qb.andWhere(nameContains('k.name'), { search: containsPattern(opts.search) });
    if (opts.after) {
      qb.andWhere('(k.created_at, k.id) < (:cAt, :cId)', { cAt: opts.after.createdAt, cId: opts.after.id });
    }
    return qb.orderBy('k.created_at', 'DESC').addOrderBy('k.id', 'DESC').limit(opts.limit).getMany();
  }

  /** The key a presented hash belongs to: its current secret, or a secret retired by regenerate. */
  async findByHash(hash: string): Promise<{ key: ApiKeyEntity; retiredValidUntil: Date | null } | null> {
    const key = await this.repo.findOneBy({ hash });
    if (key) return { key, retiredValidUntil: null };
    const retired = await this.ds.getRepository(RetiredSecretEntity).findOneBy({ hash });
    if (!retired) return null;
    const owner = await this.repo.findOneBy({ id: retired.keyId });
    return owner ? { key: owner, retiredValidUntil: retired.validUntil } : null;
  }

  /**
   * Every secret hash a cache may hold as usable for this key: the current one and retired ones still in
   * their grace period. Expired ones are left out (caches check their end time themselves), so a key
   * event stays small however often the key was regenerated.
   */
  async liveHashes(em: EntityManager, key: ApiKeyEntity, now: Date): Promise<string[]> {
    const retired = await this.liveRetired(em, key.id, now);
    return [key.hash, ...retired.map((r) => r.hash)];
  }

  /** Retired secrets of a key still in their grace period, soonest-ending first. */
  liveRetired(em: EntityManager, keyId: string, now: Date): Promise<RetiredSecretEntity[]> {
    return em.getRepository(RetiredSecretEntity).find({
      where: { keyId, validUntil: MoreThan(now) },
      order: { validUntil: 'ASC' },
    });
  }

  /** Ends grace periods now: every one of the key's (`hashes` absent) or the listed ones. */
  async endGrace(em: EntityManager, keyId: string, now: Date, hashes?: string[]): Promise<void> {
    const qb = em
      .createQueryBuilder()
      .update(RetiredSecretEntity)
      .set({ validUntil: now })
      .where('key_id = :keyId AND valid_until > :now', { keyId, now });
    if (hashes) qb.andWhere('hash IN (:...hashes)', { hashes });
    if (!hashes || hashes.length) await qb.execute();
  }

  /** Forgets retired secrets that ended before `before`: from then on they read as unknown keys. */
  async pruneRetired(em: EntityManager, keyId: string, before: Date): Promise<void> {
    await em.getRepository(RetiredSecretEntity).delete({ keyId, validUntil: LessThan(before) });
  }

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /** One statement for a whole batch of last-used times; never moves a time backwards. */
  async touch(touches: { keyId: string; at: Date }[]): Promise<number> {
    if (!touches.length) return 0;
    const res: [unknown[], number] = await this.ds.query(
      `UPDATE keys.api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, t.at), t.at)
       FROM (SELECT id, max(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at) GROUP BY id) t
       WHERE k.id = t.id`,
      [touches.map((t) => t.keyId), touches.map((t) => t.at.toISOString())],
    );
    return res[1];
  }

  /**
   * Marks a key exhausted for a period, unless it was edited after `at` (a raised limit must not be undone
   * by a late event of the old one).
   */
  async markExhausted(em: EntityManager, keyId: string, period: string, at: Date): Promise<OwnerRef | null> {
    const [rows]: [{ owner_type: OwnerRef['type']; owner_id: string }[], number] = await em.query(
      `UPDATE keys.api_keys SET exhausted_period = $2
        WHERE id = $1 AND updated_at <= $3 AND exhausted_period IS DISTINCT FROM $2
        RETURNING owner_type, owner_id`,
      [keyId, period, at.toISOString()],
    );
    return rows.length ? { type: rows[0].owner_type, id: rows[0].owner_id } : null;
  }
}
