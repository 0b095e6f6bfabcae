// metering.usage.query and metering.spend (UsageQueriesRpc), read from Postgres (the truth). Every query is bounded by
// an owner, so a key id of another owner finds nothing; key-service checks the actor before asking.
import { Injectable } from '@nestjs/common';
import { ok, type Result, type SpendReply, type UsageNumbers, type UsageQueryReply } from '@gw/contracts';
import { DataSource } from 'typeorm';

interface Row {
  day: string;
  model: string;
  requests: string;
  prompt: string;
  completion: string;
  cost: string;
  unpriced: string;
}

const zero = (): UsageNumbers => ({
  requests: 0,
  promptTokens: 0,
  completionTokens: 0,
  costMicros: 0,
  unpricedRequests: 0,
});

function add(into: UsageNumbers, r: Row) {
  into.requests += Number(r.requests);
  into.promptTokens += Number(r.prompt);
  into.completionTokens += Number(r.completion);
  into.costMicros += Number(r.cost);
  into.unpricedRequests += Number(r.unpriced);
}

@Injectable()
export class UsageQueries {
  constructor(private readonly ds: DataSource) {}

  async usage(
    owner: { type: string; id: string },
    keyId: string | undefined,
    from: Date,
    to: Date,
  ): Promise<Result<UsageQueryReply>> {
    const rows: Row[] = await this.ds.query(
      `SELECT to_char(date_trunc('day', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, model,
              count(*) AS requests, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion,
              sum(cost_micros) AS cost, count(*) FILTER (WHERE unpriced) AS unpriced
       FROM metering.usage_records
       WHERE owner_type = $1 AND owner_id = $2 AND ($3::uuid IS NULL OR key_id = $3) AND at >= $4 AND at < $5
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [owner.type, owner.id, keyId ?? null, from.toISOString(), to.toISOString()],
    );
    const totals = zero();
    const days = new Map<string, UsageNumbers & { date: string }>();
    const models = new Map<string, UsageNumbers & { model: string }>();
    for (const r of rows) {
      add(totals, r);
      let d = days.get(r.day);
      if (!d) days.set(r.day, (d = { date: r.day, ...zero() }));
      add(d, r);
      let m = models.get(r.model);
      if (!m) models.set(r.model, (m = { model: r.model, ...zero() }));
      add(m, r);
    }
    return ok({
      totals,
      series: [...days.values()],
      byModel: [...models.values()].sort(
        (a, b) => b.costMicros - a.costMicros || a.model.localeCompare(b.model),
      ),
    });
  }

  async spend(
    owner: { type: string; id: string },
    keys: { keyId: string; period: string }[],
  ): Promise<Result<SpendReply>> {
    const rows: { scope: string; scope_id: string; cost: string }[] = await this.ds.query(
      `SELECT t.scope, t.scope_id, t.cost_micros AS cost
       FROM metering.usage_totals t
       JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS w(scope, scope_id, period)
         ON t.scope = w.scope AND t.scope_id = w.scope_id AND t.period = w.period
       WHERE t.owner_type = $4 AND t.owner_id = $5`,
      [
        [owner.type, ...keys.map(() => 'key')],
        [owner.id, ...keys.map((k) => k.keyId)],
        ['lifetime', ...keys.map((k) => k.period)],
        owner.type,
        owner.id,
      ],
    );
    const reply: SpendReply = { ownerMicros: 0, keys: Object.fromEntries(keys.map((k) => [k.keyId, 0])) };
    for (const r of rows) {
      if (r.scope === 'key') reply.keys[r.scope_id] = Number(r.cost);
      else reply.ownerMicros = Number(r.cost);
    }
    return ok(reply);
  }
}
