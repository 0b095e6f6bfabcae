// Writes a batch of usage events in one transaction: each request once (unique request id), and the
// running totals per key and per owner, for the lifetime and the event's UTC month.
import { Injectable } from '@nestjs/common';
import type { UsageEvent } from '@gw/contracts';
import { DataSource } from 'typeorm';

interface TotalRow {
  scope: string;
  scopeId: string;
  period: string;
  requests: number;
  prompt: number;
  completion: number;
}

const col = <T>(events: UsageEvent[], pick: (e: UsageEvent) => T) => events.map(pick);

@Injectable()
export class UsageWriter {
  constructor(private readonly ds: DataSource) {}

  /** Returns how many events were new (the rest had been recorded before: redeliveries, duplicates). */
  async write(events: UsageEvent[]): Promise<number> {
    if (!events.length) return 0;
    return this.ds.transaction(async (em) => {
      const inserted: { request_id: string }[] = await em.query(
        `INSERT INTO metering.usage_records
           (request_id, key_id, owner_type, owner_id, pricing_group, model, endpoint, upstream,
            prompt_tokens, completion_tokens, status, stream, estimated, latency_ms, at)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::int[], $10::int[], $11::int[], $12::bool[], $13::bool[], $14::int[], $15::timestamptz[])
         ON CONFLICT (request_id) DO NOTHING
         RETURNING request_id`,
        [
          col(events, (e) => e.requestId),
          col(events, (e) => e.keyId),
          col(events, (e) => e.owner.type),
          col(events, (e) => e.owner.id),
          col(events, (e) => e.group),
          col(events, (e) => e.model),
          col(events, (e) => e.endpoint),
          col(events, (e) => e.upstream),
          col(events, (e) => e.promptTokens),
          col(events, (e) => e.completionTokens),
          col(events, (e) => e.status),
          col(events, (e) => e.stream),
          col(events, (e) => e.estimated),
          col(events, (e) => e.latencyMs),
          col(events, (e) => e.at),
        ],
      );
      const fresh = new Set(inserted.map((r) => r.request_id));
      // Only what was inserted counts: a duplicate in the same batch is inserted once, counted once.
      const seen = new Set<string>();
      const totals = new Map<string, TotalRow>();
      for (const e of events) {
        if (!fresh.has(e.requestId) || seen.has(e.requestId)) continue;
        seen.add(e.requestId);
        for (const [scope, scopeId] of [
          ['key', e.keyId],
          [e.owner.type, e.owner.id],
        ]) {
          for (const period of ['lifetime', e.at.slice(0, 7)]) {
            const k = `${scope}|${scopeId}|${period}`;
            const t = totals.get(k) ?? { scope, scopeId, period, requests: 0, prompt: 0, completion: 0 };
            t.requests += 1;
            t.prompt += e.promptTokens;
            t.completion += e.completionTokens;
            totals.set(k, t);
          }
        }
      }
      // Sorted, so concurrent replicas lock the same rows in the same order (no deadlocks).
      const rows = [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, t]) => t);
      if (rows.length) {
        await em.query(
          `INSERT INTO metering.usage_totals (scope, scope_id, period, requests, prompt_tokens, completion_tokens)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
           ON CONFLICT (scope, scope_id, period) DO UPDATE SET
             requests = usage_totals.requests + EXCLUDED.requests,
             prompt_tokens = usage_totals.prompt_tokens + EXCLUDED.prompt_tokens,
             completion_tokens = usage_totals.completion_tokens + EXCLUDED.completion_tokens,
             updated_at = now()`,
          [
            rows.map((r) => r.scope),
            rows.map((r) => r.scopeId),
            rows.map((r) => r.period),
            rows.map((r) => r.requests),
            rows.map((r) => r.prompt),
            rows.map((r) => r.completion),
          ],
        );
      }
      return seen.size;
    });
  }
}
