// Writes a batch of priced usage events in one transaction: each request once (unique request id), and
// the running totals per key and per owner, for the lifetime and the event's UTC month. After the commit
// the new costs go to the Redis spend counters (see quota/spend-counters.ts).
import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { type RecordedBatch, SpendCounters } from '../quota/spend-counters.js';
import { scalarArray, textArray } from '../db/pg-arrays.js';
import type { PricedEvent } from './usage-pricer.js';
import { totalsOf } from './usage-totals.js';

const col = <T>(events: PricedEvent[], pick: (e: PricedEvent) => T) => events.map(pick);

@Injectable()
export class UsageWriter {
  constructor(
    private readonly ds: DataSource,
    private readonly spend: SpendCounters,
  ) {}

  /** Returns the events that were new (the rest had been recorded before: redeliveries, duplicates). */
  async write(events: PricedEvent[]): Promise<PricedEvent[]> {
    if (!events.length) return [];
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      const batch = await this.spend.commitAndCount(qr, async () => {
        await qr.startTransaction();
        try {
          const recorded = await this.insert(qr, events);
          await qr.commitTransaction();
          return recorded;
        } catch (err) {
          await qr.rollbackTransaction();
          throw err;
        }
      });
      return batch.fresh;
    } finally {
      await qr.release();
    }
  }

  private async insert(qr: QueryRunner, batch: PricedEvent[]): Promise<RecordedBatch> {
    // In request id order: transactions that carry the same ids (a redelivery, a spool replay) take their
    // index entries in one order, so they wait for each other instead of deadlocking (totals rows likewise).
    const events = [...batch].sort((a, b) =>
      a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
    );
    const inserted = (await qr.query(
      `INSERT INTO metering.usage_records
         (request_id, key_id, owner_type, owner_id, pricing_group, model, endpoint, upstream,
          prompt_tokens, completion_tokens, status, stream, estimated, latency_ms, at, cost_micros, unpriced)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
          $8::text[], $9::int[], $10::int[], $11::int[], $12::bool[], $13::bool[], $14::int[], $15::timestamptz[],
          $16::bigint[], $17::bool[])
       ON CONFLICT (request_id) DO NOTHING
       RETURNING request_id`,
      [
        textArray(col(events, (e) => e.requestId)),
        textArray(col(events, (e) => e.keyId)),
        textArray(col(events, (e) => e.owner.type)),
        textArray(col(events, (e) => e.owner.id)),
        textArray(col(events, (e) => e.group)),
        textArray(col(events, (e) => e.model)),
        textArray(col(events, (e) => e.endpoint)),
        textArray(col(events, (e) => e.upstream)),
        scalarArray(col(events, (e) => e.promptTokens)),
        scalarArray(col(events, (e) => e.completionTokens)),
        scalarArray(col(events, (e) => e.status)),
        scalarArray(col(events, (e) => e.stream)),
        scalarArray(col(events, (e) => e.estimated)),
        scalarArray(col(events, (e) => e.latencyMs)),
        textArray(col(events, (e) => e.at)),
        scalarArray(col(events, (e) => e.costMicros)),
        scalarArray(col(events, (e) => e.unpriced)),
      ],
    )) as { request_id: string }[];
    const insertedIds = new Set(inserted.map((r) => r.request_id));
    // Only what was inserted counts: a duplicate in the same batch is inserted once, counted once.
    const fresh = events.filter((e) => insertedIds.delete(e.requestId));
    const rows = totalsOf(fresh);
    if (rows.length) {
      await qr.query(
        `INSERT INTO metering.usage_totals
           (scope, scope_id, period, owner_type, owner_id, requests, prompt_tokens, completion_tokens,
            cost_micros, unpriced_requests)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::bigint[], $7::bigint[],
            $8::bigint[], $9::bigint[], $10::bigint[])
         ON CONFLICT (scope, scope_id, period) DO UPDATE SET
           requests = usage_totals.requests + EXCLUDED.requests,
           prompt_tokens = usage_totals.prompt_tokens + EXCLUDED.prompt_tokens,
           completion_tokens = usage_totals.completion_tokens + EXCLUDED.completion_tokens,
           cost_micros = usage_totals.cost_micros + EXCLUDED.cost_micros,
           unpriced_requests = usage_totals.unpriced_requests + EXCLUDED.unpriced_requests,
           owner_type = EXCLUDED.owner_type,
           owner_id = EXCLUDED.owner_id,
           updated_at = now()`,
        [
          rows.map((r) => r.scope),
          rows.map((r) => r.scopeId),
          rows.map((r) => r.period),
          rows.map((r) => r.ownerType),
          rows.map((r) => r.ownerId),
          rows.map((r) => r.requests),
          rows.map((r) => r.prompt),
          rows.map((r) => r.completion),
          rows.map((r) => r.cost),
          rows.map((r) => r.unpriced),
        ],
      );
    }
    return { fresh, totals: rows };
  }
}
