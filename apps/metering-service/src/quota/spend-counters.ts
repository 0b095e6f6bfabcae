// Spend counters in Redis (per key and per owner, lifetime and UTC month), which gateways read in their
// quota check. Postgres is the truth: the counters are rebuilt from its totals at start, whenever Redis
// lost them, and after a failed update. An update also releases what gateways held for the requests (their
// usage events name the amount, bucket and generation), in the same script, so a cost is never both counted
// and held, nor neither. When a key's or an owner's counter reaches the limit its events carried,
// keys.events.quota_exhausted goes out (gateways also announce it when a limit refuses a request).
//
// Exactness under concurrency: a batch holds a shared Postgres advisory lock from its commit until its
// counters are updated, and a rebuild holds the exclusive one, so a rebuild never reads a committed batch
// whose increments are still to come (which would count it twice) nor misses one.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  ownerTag,
  QUOTA_THRESHOLD_PERCENT,
  type QuotaExhaustedEvent,
  type QuotaThresholdEvent,
  SPEND_KEYS,
  SUBJECTS,
  utcMonthOf,
} from '@gw/contracts';
import { counter, evalScript, type Logger, NatsClient, REDIS, type RedisClient } from '@gw/platform';
import { ReplyError } from 'ioredis';
import { DataSource, type QueryRunner } from 'typeorm';
import { LOGGER } from '../config.js';
import type { PricedEvent } from '../usage/usage-pricer.js';
import type { TotalRow } from '../usage/usage-totals.js';

/** What one transaction recorded: the new events, and the totals they added. */
export interface RecordedBatch {
  fresh: PricedEvent[];
  totals: TotalRow[];
}

/** The Redis counter of a totals row (same scope, id and period). */
const counterOf = (row: Pick<TotalRow, 'scope' | 'scopeId' | 'period' | 'ownerType' | 'ownerId'>) => {
  const tag = ownerTag(row.ownerType, row.ownerId);
  return row.scope === 'key'
    ? SPEND_KEYS.key(tag, row.scopeId, row.period)
    : SPEND_KEYS.owner(tag, row.period);
};

/** pg advisory lock id ("spnd"): shared by batches, exclusive for a rebuild. */
export const SPEND_LOCK = 0x73706e64;
/** Month counters outlive their month long enough for late events; then Redis forgets them. */
const MONTH_TTL_S = 62 * 86_400;
const CHECK_MS = 5000;
/** Counters set concurrently per round of the rebuild. */
const REBUILD_ROUND = 1000;

const rebuilds = counter(
  'metering_spend_rebuilds_total',
  'Rebuilds of the Redis spend counters from Postgres',
);
const applyRetries = counter(
  'metering_spend_apply_retries_total',
  'Counter updates tried again after a Redis error (the same call: it runs once)',
);
/**
 * Waits before each retry of a counter update. ioredis fails at once while Redis is away (no offline queue), so
 * a blip shorter than these is outlasted: the update runs, and the request's hold is released with it. Only a
 * longer outage leaves the counters to the rebuild, which cannot release holds (their requests' costs then
 * count twice until the holds expire).
 */
const APPLY_RETRY_MS = [100, 200, 400, 800, 1600];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// KEYS: spend keys (n)…, hold keys (m)…, their buckets' generation keys (m)…, this call's marker
// ARGV: n, m, amount per spend key…, amount per hold key…, the generation each hold was taken in…, marker TTL ms
// Returns the spend keys' new values. A call runs once: a resend of it (metering's retry after an answer lost
// to a Redis blip; ioredis's on a Cluster after a failover or a MOVED) finds its marker and returns what the
// call returned, kept in the marker, not the counters as they are by then (another batch may have moved them,
// and a threshold crossing is read from these values; a crossing is still missed when every try fails, or
// when a rebuild's SET carries a counter past the mark). A hold is released only in the generation it was taken
// in: not once its bucket expired (metering was away longer than the reservation TTL), nor from holds taken
// after Redis lost the earlier ones.
export const APPLY_SPEND_LUA = `
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local marker = KEYS[n + 2 * m + 1]
local after = {}
local done = redis.call('GET', marker)
if done then
  for v in string.gmatch(done, '[^,]+') do after[#after + 1] = v end
  return after
end
for i = 1, n do
  local key = KEYS[i]
  after[i] = redis.call('INCRBY', key, ARGV[i + 2])
  if string.sub(key, -8) ~= 'lifetime' then redis.call('EXPIRE', key, ${MONTH_TTL_S}) end
end
for j = 1, m do
  local hold = KEYS[n + j]
  -- A hold already gone would go negative: it is deleted at zero or below, so it is never left so.
  if redis.call('GET', KEYS[n + m + j]) == ARGV[2 + n + m + j] then
    if redis.call('DECRBY', hold, ARGV[2 + n + j]) <= 0 then redis.call('DEL', hold) end
  end
end
-- As integers: table.concat would print a counter past 10^14 in %.14g, rounded.
local kept = {}
for i = 1, n do kept[i] = string.format('%d', after[i]) end
redis.call('SET', marker, table.concat(kept, ','), 'PX', ARGV[3 + n + 2 * m])
return after
`;
/** How long a call's marker stays: far longer than any resend (metering's retries end within ~5 s). */
const APPLIED_TTL_MS = 60_000;

/** One limit an event counts against: its key's quota in this period, or its owner's credit limit. */
interface LimitOf {
  /** One announcement per limit and batch. */
  id: string;
  spendKey: string;
  limitMicros: number;
  keyId?: string;
  owner: { type: PricedEvent['owner']['type']; id: string };
  period: string;
}

function* limitsOf(e: PricedEvent): Generator<LimitOf> {
  if (!e.limits) return;
  const tag = ownerTag(e.owner.type, e.owner.id);
  const owner = { type: e.owner.type, id: e.owner.id };
  const key = e.limits.key;
  if (key) {
    const period = key.period === 'total' ? 'lifetime' : e.month;
    const spendKey = SPEND_KEYS.key(tag, e.keyId, period);
    yield { id: `k:${e.keyId}:${period}`, spendKey, limitMicros: key.micros, keyId: e.keyId, owner, period };
  }
  if (e.limits.ownerMicros !== undefined) {
    const spendKey = SPEND_KEYS.owner(tag, 'lifetime');
    yield { id: `o:${tag}`, spendKey, limitMicros: e.limits.ownerMicros, owner, period: 'lifetime' };
  }
}

/** The limits that the counters (spend key → new value) show reached, once each: what to announce. */
export function reachedLimits(events: PricedEvent[], totals: Map<string, number>): QuotaExhaustedEvent[] {
  const out = new Map<string, QuotaExhaustedEvent>();
  const at = new Date().toISOString();
  for (const e of events) {
    for (const l of limitsOf(e)) {
      const spent = totals.get(l.spendKey);
      if (spent === undefined || spent < l.limitMicros) continue;
      out.set(l.id, { ...(l.keyId ? { keyId: l.keyId } : {}), owner: l.owner, period: l.period, at });
    }
  }
  return [...out.values()];
}

/**
 * The limits this batch carried past QUOTA_THRESHOLD_PERCENT: a counter below it before the batch (its new value
 * minus what the batch added) and at or above it after. Counters are incremented atomically, so exactly
 * one batch sees each crossing. Once each per key and period, and per owner.
 */
export function crossedThresholds(
  events: PricedEvent[],
  totals: Map<string, number>,
  added: Map<string, number>,
): QuotaThresholdEvent[] {
  const out = new Map<string, QuotaThresholdEvent>();
  const at = new Date().toISOString();
  for (const e of events) {
    for (const l of limitsOf(e)) {
      const after = totals.get(l.spendKey);
      if (after === undefined || l.limitMicros <= 0) continue;
      const before = after - (added.get(l.spendKey) ?? 0);
      const mark = Math.ceil((l.limitMicros * QUOTA_THRESHOLD_PERCENT) / 100);
      if (before >= mark || after < mark) continue;
      out.set(l.id, {
        ...(l.keyId ? { keyId: l.keyId } : {}),
        owner: l.owner,
        period: l.period,
        percent: QUOTA_THRESHOLD_PERCENT,
        limitMicros: l.limitMicros,
        spentMicros: after,
        at,
      });
    }
  }
  return [...out.values()];
}

@Injectable()
export class SpendCounters implements OnApplicationBootstrap, OnApplicationShutdown {
  /** True while Redis may disagree with Postgres: the next check rebuilds. */
  private stale = true;
  /** A counter update failed every try; until one succeeds, updates are not retried. */
  private applyFailing = false;
  private timer?: NodeJS.Timeout;
  private rebuilding?: Promise<void>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly ds: DataSource,
    private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap() {
    await this.check();
    this.timer = setInterval(() => void this.check(), CHECK_MS).unref();
  }

  onApplicationShutdown() {
    clearInterval(this.timer);
  }

  /** Rebuilds when stale or when Redis lost the counters (its marker is gone). Never throws. */
  async check(): Promise<void> {
    try {
      if (!this.stale && (await this.redis.exists(SPEND_KEYS.rebuilt))) return;
      this.rebuilding ??= this.rebuild().finally(() => (this.rebuilding = undefined));
      await this.rebuilding;
    } catch (err) {
      this.stale = true;
      this.logger.warn({ err }, 'spend counters not rebuilt yet; retrying');
    }
  }

  /** Runs `commit` on `qr`, then adds the costs it recorded to the counters, under the shared lock. */
  async commitAndCount(qr: QueryRunner, commit: () => Promise<RecordedBatch>): Promise<RecordedBatch> {
    await qr.query('SELECT pg_advisory_lock_shared($1)', [SPEND_LOCK]);
    try {
      let result: RecordedBatch;
      try {
        result = await commit();
      } catch (err) {
        // The commit may have happened with its answer lost: its retry then finds the events recorded and
        // adds nothing, so the counters are rebuilt from Postgres to be sure.
        this.stale = true;
        throw err;
      }
      try {
        await this.apply(result);
      } catch (err) {
        // Postgres has the batch; Redis will get it from the rebuild.
        this.stale = true;
        this.logger.warn({ err }, 'spend counters not updated; they will be rebuilt');
      }
      return result;
    } finally {
      await qr.query('SELECT pg_advisory_unlock_shared($1)', [SPEND_LOCK]);
    }
  }

  /** Adds the batch's costs, releases what was held for it, and announces the limits the new totals reach. */
  private async apply({ fresh, totals: rows }: RecordedBatch) {
    if (!fresh.length) return;
    // Per owner (one hash tag, one script call): spend key → amount, and what to release per hold key and
    // generation.
    type Release = { key: string; bucket: number; generation: string; micros: number };
    const byOwner = new Map<string, { amounts: Map<string, number>; holds: Map<string, Release> }>();
    const ofOwner = (type: TotalRow['ownerType'], id: string) => {
      const tag = ownerTag(type, id);
      let o = byOwner.get(tag);
      if (!o) byOwner.set(tag, (o = { amounts: new Map(), holds: new Map() }));
      return { tag, o };
    };
    for (const e of fresh) {
      if (!e.held) continue;
      const { tag, o } = ofOwner(e.owner.type, e.owner.id);
      const { bucket, generation, micros } = e.held;
      for (const key of [SPEND_KEYS.heldKey(tag, e.keyId, bucket), SPEND_KEYS.heldOwner(tag, bucket)]) {
        const id = `${key}|${generation}`;
        const r = o.holds.get(id);
        if (r) r.micros += micros;
        else o.holds.set(id, { key, bucket, generation, micros });
      }
    }
    for (const row of rows)
      if (row.cost > 0) ofOwner(row.ownerType, row.ownerId).o.amounts.set(counterOf(row), row.cost);
    const totals = new Map<string, number>();
    const added = new Map<string, number>();
    for (const o of byOwner.values()) for (const [key, amount] of o.amounts) added.set(key, amount);
    // Every owner's update settles (tries included) before the batch lets go of the shared lock: a rebuild must
    // not set a counter that a late try of this batch then adds to again.
    const updates = await Promise.allSettled(
      [...byOwner].map(async ([tag, o]) => {
        if (!o.amounts.size && !o.holds.size) return;
        const holds = [...o.holds.values()];
        // One marker for every try: a try whose answer was lost but which ran makes the next one return its answer.
        const keys = [
          ...o.amounts.keys(),
          ...holds.map((h) => h.key),
          ...holds.map((h) => SPEND_KEYS.holdGeneration(tag, h.bucket)),
          SPEND_KEYS.applied(tag, randomUUID()),
        ];
        const args = [
          o.amounts.size,
          holds.length,
          ...o.amounts.values(),
          ...holds.map((h) => h.micros),
          ...holds.map((h) => h.generation),
          APPLIED_TTL_MS,
        ];
        const after = await this.retried(() => evalScript<string[]>(this.redis, APPLY_SPEND_LUA, keys, args));
        [...o.amounts.keys()].forEach((key, i) => totals.set(key, Number(after[i])));
      }),
    );
    const failed = updates.find((u) => u.status === 'rejected');
    if (failed) throw failed.reason;
    try {
      for (const n of reachedLimits(fresh, totals)) this.nats.publish(SUBJECTS.events.quotaExhausted, n);
    } catch (err) {
      // The counters are right; the gateways' own check refuses, and announces it, on the next request.
      this.logger.warn({ err }, 'quota exhaustion not announced');
    }
    try {
      for (const n of crossedThresholds(fresh, totals, added))
        this.nats.publish(SUBJECTS.events.quotaThreshold, n);
    } catch (err) {
      // Only webhooks miss it; spending is unaffected.
      this.logger.warn({ err }, 'quota threshold not announced');
    }
  }

  /**
   * Tries `call` again on a connection error or timeout, not on Redis's own error reply (it would answer the
   * same). After an update failed every try, the next ones are not retried until one succeeds: a long outage
   * must not hold every batch (and the shared lock) for seconds.
   */
  private async retried<T>(call: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        const result = await call();
        this.applyFailing = false;
        return result;
      } catch (err) {
        if (err instanceof ReplyError || this.applyFailing) throw err;
        if (i >= APPLY_RETRY_MS.length) {
          this.applyFailing = true;
          throw err;
        }
        applyRetries.inc();
        await sleep(APPLY_RETRY_MS[i]);
      }
    }
  }

  /** Sets every lifetime and current-month counter to Postgres's totals. */
  private async rebuild() {
    const month = utcMonthOf(Date.now());
    // Not queued for the exclusive lock while Redis is away: writers' shared requests would queue behind it.
    await this.redis.ping();
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.query('SELECT pg_advisory_lock($1)', [SPEND_LOCK]);
      try {
        const rows: {
          scope: string;
          scope_id: string;
          period: string;
          cost: string;
          ot: TotalRow['ownerType'];
          oid: string;
        }[] = await qr.query(
          `SELECT scope, scope_id, period, cost_micros AS cost, owner_type AS ot, owner_id AS oid
             FROM metering.usage_totals WHERE period IN ('lifetime', $1) AND owner_id IS NOT NULL`,
          [month],
        );
        // Single-key SETs in bounded rounds, not one pipeline: on a Redis Cluster the owners' counters live in
        // different slots and nodes (ioredis sends each to its node; a failure rejects and the rebuild retries).
        for (let i = 0; i < rows.length; i += REBUILD_ROUND) {
          await Promise.all(
            rows.slice(i, i + REBUILD_ROUND).map((row) => {
              const key = counterOf({ ...row, scopeId: row.scope_id, ownerType: row.ot, ownerId: row.oid });
              return row.period === 'lifetime'
                ? this.redis.set(key, row.cost)
                : this.redis.set(key, row.cost, 'EX', MONTH_TTL_S);
            }),
          );
        }
        await this.redis.set(SPEND_KEYS.rebuilt, new Date().toISOString());
        this.stale = false;
        rebuilds.inc();
        this.logger.info({ counters: rows.length }, 'spend counters rebuilt from Postgres');
      } finally {
        await qr.query('SELECT pg_advisory_unlock($1)', [SPEND_LOCK]);
      }
    } finally {
      await qr.release();
    }
  }
}
