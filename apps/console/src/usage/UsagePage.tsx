// Usage of the scope or of one of its keys over a chosen period: totals and quota, a chart by day, a table
// by model and one by day (the chart's data as text).
import { useState } from 'react';
import { api, query } from '../api';
import { CardTable } from '../components/CardTable';
import { ErrorNotice, Loading } from '../components/Notice';
import { useLoad } from '../components/useLoad';
import { formatCredits, formatDay, formatInteger } from '../format';
import { t } from '../strings';
import type { KeyPage, Scope, UsageView } from '../types';
import { UsageChart } from './UsageChart';
import { type Period, PERIODS, rangeOf } from './range';

export function UsagePage({ scope, keyId }: { scope: Scope; keyId?: string }) {
  const [period, setPeriod] = useState<Period>('month');
  const manages = scope.type === 'account' || scope.role !== 'member';
  const keys = useLoad(
    () =>
      manages
        ? api<KeyPage>('GET', `/v1/keys${query({ ownerType: scope.type, ownerId: scope.id, limit: 100 })}`)
        : Promise.resolve({ data: [], nextCursor: null }),
    [scope.type, scope.id, manages],
  );
  const path = keyId
    ? `/v1/keys/${keyId}/usage`
    : `/v1/${scope.type === 'account' ? 'accounts' : 'organizations'}/${scope.id}/usage`;
  const usage = useLoad(() => api<UsageView>('GET', `${path}${query(rangeOf(period))}`), [path, period]);
  const view = usage.value;
  const code = view?.quota.currencyCode ?? '';

  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">{t.usage.title}</h1>
      <div className="filters">
        <label>
          <span>{t.usage.of}</span>
          <select
            value={keyId ?? ''}
            onChange={(e) => (location.hash = e.target.value ? `#/usage/${e.target.value}` : '#/usage')}
          >
            <option value="">
              {scope.name} — {t.usage.everyKey}
            </option>
            {(keys.value?.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.maskedKey})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t.usage.period}</span>
          <select value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {t.usage.periods[p]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice message={usage.error} />
      {usage.loading && !view ? (
        <Loading />
      ) : view ? (
        <>
          <dl className="totals" aria-label={t.usage.totals}>
            <div>
              <dt>{t.usage.quotaIn(code)}</dt>
              <dd>
                {view.quota.used.currency} / {view.quota.limit?.currency ?? t.unlimited}
              </dd>
            </div>
            <div>
              <dt>{t.usage.requests}</dt>
              <dd>{formatInteger(view.totals.requests)}</dd>
            </div>
            <div>
              <dt>{t.usage.credits}</dt>
              <dd>{formatCredits(view.totals.cost)}</dd>
            </div>
            <div>
              <dt>{t.usage.cost(code)}</dt>
              <dd>{view.totals.costInCurrency}</dd>
            </div>
            <div>
              <dt>{t.usage.promptTokens}</dt>
              <dd>{formatInteger(view.totals.promptTokens)}</dd>
            </div>
            <div>
              <dt>{t.usage.completionTokens}</dt>
              <dd>{formatInteger(view.totals.completionTokens)}</dd>
            </div>
          </dl>
          {view.totals.unpricedRequests > 0 && <p>{t.usage.unpriced(view.totals.unpricedRequests)}</p>}
          {view.series.length === 0 ? (
            <p className="empty">{t.usage.empty}</p>
          ) : (
            <>
              <h2>{t.usage.chartTitle}</h2>
              <UsageChart view={view} />
              <h2 id="by-model">{t.usage.byModel}</h2>
              <NumbersTable
                labelledBy="by-model"
                label={t.usage.byModel}
                first={t.usage.model}
                code={code}
                rows={view.byModel.map((m) => ({ ...m, label: m.model }))}
              />
              <h2 id="by-day">{t.usage.byDay}</h2>
              <NumbersTable
                labelledBy="by-day"
                label={t.usage.byDay}
                first={t.usage.day}
                code={code}
                rows={view.series.map((d) => ({ ...d, label: formatDay(d.date) }))}
              />
            </>
          )}
        </>
      ) : null}
    </section>
  );
}

function NumbersTable(props: {
  labelledBy: string;
  label: string;
  first: string;
  code: string;
  rows: (UsageView['totals'] & { label: string })[];
}) {
  return (
    <CardTable
      label={props.label}
      labelledBy={props.labelledBy}
      columns={[
        props.first,
        t.usage.requests,
        t.usage.promptTokens,
        t.usage.completionTokens,
        t.usage.credits,
        t.usage.cost(props.code),
      ]}
      rows={props.rows.map((r) => ({
        key: r.label,
        numeric: [1, 2, 3, 4, 5],
        cells: [
          r.label,
          formatInteger(r.requests),
          formatInteger(r.promptTokens),
          formatInteger(r.completionTokens),
          formatCredits(r.cost),
          r.costInCurrency,
        ],
      }))}
    />
  );
}
