// The operator's screens: accounts (tier, credit limit, suspend), tiers and model prices.
import { type FormEvent, useEffect, useState } from 'react';
import { api, messageOf, query } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Dialog } from '../components/Dialog';
import { DialogActions } from '../components/DialogActions';
import { CardTable } from '../components/CardTable';
import { ErrorNotice, InfoNotice, Loading } from '../components/Notice';
import { Pager, usePager } from '../components/Pager';
import { useLoad } from '../components/useLoad';
import { formatCredits, formatDateTime } from '../format';
import { t } from '../strings';
import type { AccountPage, AccountView, ModelPriceView, TierView } from '../types';

const o = t.operator;
/** Prices are stored in micro-credits per million tokens; people read and type credits. */
const MICROS = 1_000_000;
const toMicros = (credits: string) => Math.round(Number(credits) * MICROS);

export function OperatorPage() {
  return (
    <section aria-labelledby="operator-title">
      <h1 id="operator-title">{o.title}</h1>
      <Accounts />
      <Tiers />
      <Prices />
    </section>
  );
}

function useAction(reload: () => void) {
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      reload();
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    }
  };
  return { error, setError, run };
}

function Accounts() {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const pager = usePager();
  const [editing, setEditing] = useState<AccountView | null>(null);
  const [suspending, setSuspending] = useState<AccountView | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const { reset } = pager;
  useEffect(reset, [search, reset]);
  const accounts = useLoad(
    () => api<AccountPage>('GET', `/v1/accounts${query({ search, cursor: pager.cursor, limit: 20 })}`),
    [search, pager.cursor],
  );
  const action = useAction(accounts.reload);
  const rows = accounts.value?.data ?? [];
  return (
    <section aria-labelledby="accounts-title">
      <h2 id="accounts-title">{o.accounts}</h2>
      <div className="filters">
        <label>
          <span>{o.searchAccounts}</span>
          <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} maxLength={64} />
        </label>
      </div>
      <ErrorNotice message={action.error ?? accounts.error} />
      {accounts.loading && !accounts.value ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p className="empty">{o.noAccounts}</p>
      ) : (
        <CardTable
          label={o.accounts}
          columns={[o.name, o.tier, o.creditLimit, o.status, t.keys.columns.actions]}
          rows={rows.map((a) => ({
            key: a.id,
            cells: [
              a.name,
              a.tier,
              a.creditLimit === null ? t.unlimited : formatCredits(a.creditLimit),
              <span className={`badge ${a.status}`}>{o.statuses[a.status]}</span>,
              <div className="actions">
                <button type="button" onClick={() => setEditing(a)}>
                  {o.editAccount(a.name)}
                </button>
                <button
                  type="button"
                  className={a.status === 'active' ? 'danger' : undefined}
                  onClick={() =>
                    a.status === 'active'
                      ? setSuspending(a)
                      : void action.run(() => api('PATCH', `/v1/accounts/${a.id}`, { status: 'active' }))
                  }
                >
                  {a.status === 'active' ? o.suspend(a.name) : o.reactivate(a.name)}
                </button>
              </div>,
            ],
          }))}
        />
      )}
      <Pager page={pager.page} nextCursor={accounts.value?.nextCursor ?? null} pager={pager} />
      {suspending && (
        <ConfirmDialog
          title={o.suspendTitle(suspending.name)}
          explain={o.suspendExplain}
          label={o.suspend(suspending.name)}
          onClose={() => setSuspending(null)}
          onConfirm={async () => {
            await api('PATCH', `/v1/accounts/${suspending.id}`, { status: 'suspended' });
            setSuspending(null);
            accounts.reload();
          }}
        />
      )}
      {editing && (
        <AccountDialog
          account={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            accounts.reload();
          }}
        />
      )}
    </section>
  );
}

function AccountDialog(props: { account: AccountView; onClose: () => void; onSaved: () => void }) {
  const tiers = useLoad(() => api<TierView[]>('GET', '/v1/tiers'), []);
  const [tier, setTier] = useState(props.account.tier);
  const [limit, setLimit] = useState(
    props.account.creditLimit === null ? '' : String(props.account.creditLimit),
  );
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('PATCH', `/v1/accounts/${props.account.id}`, {
        tier,
        creditLimit: limit.trim() === '' ? null : Number(limit),
      });
      props.onSaved();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const names = tiers.value?.map((x) => x.name) ?? [props.account.tier];
  return (
    <Dialog title={o.editAccount(props.account.name)} onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>{o.tier}</span>
          <select value={tier} onChange={(e) => setTier(e.target.value)}>
            {(names.includes(tier) ? names : [tier, ...names]).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{o.creditLimit}</span>
          <input type="number" min="0" step="any" value={limit} onChange={(e) => setLimit(e.target.value)} />
          <small>{t.keyForm.limitHint}</small>
        </label>
        <ErrorNotice message={error} />
        <DialogActions onCancel={props.onClose} label={t.save} />
      </form>
    </Dialog>
  );
}

function Tiers() {
  const tiers = useLoad(() => api<TierView[]>('GET', '/v1/tiers'), []);
  const action = useAction(tiers.reload);
  const [name, setName] = useState('');
  const [rpm, setRpm] = useState('');
  const [models, setModels] = useState('*');
  const [priority, setPriority] = useState(false);
  const edit = (tier: TierView) => {
    setName(tier.name);
    setRpm(tier.rpm === null ? '' : String(tier.rpm));
    setModels(tier.models.join(', '));
    setPriority(tier.priority);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(() =>
      api('PUT', `/v1/tiers/${encodeURIComponent(name.trim())}`, {
        rpm: rpm.trim() === '' ? null : Number(rpm),
        priority,
        models: models
          .split(/[\s,]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      }),
    );
  };
  return (
    <section aria-labelledby="tiers-title">
      <h2 id="tiers-title">{o.tiers}</h2>
      <ErrorNotice message={action.error ?? tiers.error} />
      {tiers.loading && !tiers.value ? (
        <Loading />
      ) : (
        <CardTable
          label={o.tiers}
          columns={[o.name, o.rpm, o.models, o.priority, t.keys.columns.actions]}
          rows={(tiers.value ?? []).map((tier) => ({
            key: tier.name,
            cells: [
              tier.name,
              tier.rpm ?? t.unlimited,
              tier.models.join(', '),
              tier.priority ? t.yes : t.no,
              <button type="button" onClick={() => edit(tier)}>
                {o.editTier(tier.name)}
              </button>,
            ],
          }))}
        />
      )}
      <form className="inline-form" onSubmit={submit} aria-label={o.newTier}>
        <label className="field">
          <span>{o.tierName}</span>
          <input required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>{o.rpm}</span>
          <input type="number" min="1" step="1" value={rpm} onChange={(e) => setRpm(e.target.value)} />
        </label>
        <label className="field">
          <span>{o.models}</span>
          <input required value={models} onChange={(e) => setModels(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={priority} onChange={(e) => setPriority(e.target.checked)} />
          <span>{o.priority}</span>
        </label>
        <button type="submit" className="primary">
          {t.save}
        </button>
      </form>
    </section>
  );
}

function Prices() {
  const prices = useLoad(() => api<ModelPriceView[]>('GET', '/v1/pricing/models'), []);
  const action = useAction(prices.reload);
  const [model, setModel] = useState('');
  const [input, setInput] = useState('');
  const [output, setOutput] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const done = await action.run(() =>
      api('PUT', `/v1/pricing/models/${encodeURIComponent(model.trim())}`, {
        inputPrice: toMicros(input),
        outputPrice: toMicros(output),
      }),
    );
    if (done) setSaved(model.trim());
  };
  return (
    <section aria-labelledby="prices-title">
      <h2 id="prices-title">{o.prices}</h2>
      <InfoNotice message={saved && t.keys.saved(saved)} />
      <ErrorNotice message={action.error ?? prices.error} />
      {prices.loading && !prices.value ? (
        <Loading />
      ) : (
        <CardTable
          label={o.prices}
          columns={[o.model, o.inputPrice, o.outputPrice, o.updated, t.keys.columns.actions]}
          rows={(prices.value ?? []).map((p) => ({
            key: p.model,
            numeric: [1, 2],
            cells: [
              p.model,
              formatCredits(p.inputPrice / MICROS),
              formatCredits(p.outputPrice / MICROS),
              formatDateTime(p.updatedAt),
              <button
                type="button"
                onClick={() => {
                  setModel(p.model);
                  setInput(String(p.inputPrice / MICROS));
                  setOutput(String(p.outputPrice / MICROS));
                }}
              >
                {o.editPrice(p.model)}
              </button>,
            ],
          }))}
        />
      )}
      <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={o.setPrice}>
        <label className="field">
          <span>{o.model}</span>
          <input required maxLength={128} value={model} onChange={(e) => setModel(e.target.value)} />
        </label>
        <label className="field">
          <span>{o.inputPrice}</span>
          <input
            type="number"
            required
            min="0"
            step="any"
            value={input}
            onChange={(e) => setInput(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{o.outputPrice}</span>
          <input
            type="number"
            required
            min="0"
            step="any"
            value={output}
            onChange={(e) => setOutput(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          {o.setPrice}
        </button>
      </form>
    </section>
  );
}
