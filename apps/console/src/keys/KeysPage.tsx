// The key list of the scope: filters by status, search by name, pages; create, edit, enable/disable,
// regenerate and delete from here.
import { useEffect, useState } from 'react';
import { api, messageOf, query } from '../api';
import { CardTable } from '../components/CardTable';
import { ErrorNotice, InfoNotice, Loading } from '../components/Notice';
import { Pager, usePager } from '../components/Pager';
import { useLoad } from '../components/useLoad';
import { formatDate, formatDateTime } from '../format';
import { t } from '../strings';
import type { KeyPage, KeyView, KeyWithSecret, Scope } from '../types';
import { DeleteDialog } from './DeleteDialog';
import { consumed } from './key-body';
import { KeyFormDialog } from './KeyFormDialog';
import { RegenerateDialog } from './RegenerateDialog';
import { RevealDialog } from './RevealDialog';

type Open =
  | { kind: 'create' }
  | { kind: 'edit'; key: KeyView }
  | { kind: 'regenerate'; key: KeyView }
  | { kind: 'delete'; key: KeyView }
  | { kind: 'reveal'; key: KeyWithSecret }
  | null;

export function KeysPage({ scope }: { scope: Scope }) {
  const [status, setStatus] = useState('');
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const pager = usePager();
  const [open, setOpen] = useState<Open>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const manages = scope.type === 'account' || scope.role !== 'member';

  // Search as the person types, once they pause.
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const { reset } = pager;
  useEffect(reset, [status, search, reset]);

  const list = useLoad(
    () =>
      manages
        ? api<KeyPage>(
            'GET',
            `/v1/keys${query({ ownerType: scope.type, ownerId: scope.id, status, search, cursor: pager.cursor, limit: 20 })}`,
          )
        : Promise.resolve({ data: [], nextCursor: null }),
    [scope.type, scope.id, status, search, pager.cursor, manages],
  );

  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await work();
      setInfo(done);
      list.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const toggle = (key: KeyView) => {
    const enable = key.status === 'disabled';
    return act(
      () => api('PATCH', `/v1/keys/${key.id}`, { enabled: enable }),
      enable ? t.keys.enabled(key.name) : t.keys.disabled(key.name),
    );
  };

  const filtered = !!status || !!search;
  const keys = list.value?.data ?? [];
  return (
    <section aria-labelledby="keys-title">
      <div className="title-row">
        <h1 id="keys-title">{scope.type === 'organization' ? t.keys.titleOrg(scope.name) : t.keys.title}</h1>
        {manages && (
          <button type="button" className="primary" onClick={() => setOpen({ kind: 'create' })}>
            {t.keys.create}
          </button>
        )}
      </div>
      {!manages ? (
        <p>{t.keys.memberOnly}</p>
      ) : (
        <>
          <div className="filters">
            <label>
              <span>{t.keys.search}</span>
              <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} maxLength={64} />
            </label>
            <label>
              <span>{t.keys.status}</span>
              <select value={status} onChange={(e) => setStatus(e.target.value)}>
                <option value="">{t.keys.allStatuses}</option>
                {Object.entries(t.keys.statuses).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <InfoNotice message={info} />
          <ErrorNotice message={error ?? list.error} onDismiss={error ? () => setError(null) : undefined} />
          {list.loading && !list.value ? (
            <Loading />
          ) : keys.length === 0 ? (
            <p className="empty">{filtered ? t.keys.emptyFiltered : t.keys.empty}</p>
          ) : (
            <CardTable
              label={t.keys.title}
              className="keys"
              columns={Object.values(t.keys.columns)}
              rows={keys.map((key) => ({
                key: key.id,
                cells: [
                  key.name,
                  <code className="masked">{key.maskedKey}</code>,
                  <span className={`badge ${key.status}`}>{t.keys.statuses[key.status] ?? key.status}</span>,
                  consumed(key),
                  key.expiresAt ? formatDate(key.expiresAt) : t.never,
                  key.ipAllowlist.length ? key.ipAllowlist.join(', ') : t.keys.anyIp,
                  formatDateTime(key.createdAt),
                  key.lastUsedAt ? formatDateTime(key.lastUsedAt) : t.keys.notUsed,
                  <div className="actions" role="group" aria-label={t.keys.actionsFor(key.name)}>
                    <button type="button" onClick={() => setOpen({ kind: 'edit', key })}>
                      {t.keys.edit}
                    </button>
                    <button type="button" onClick={() => void toggle(key)}>
                      {key.status === 'disabled' ? t.keys.enable : t.keys.disable}
                    </button>
                    <button type="button" onClick={() => setOpen({ kind: 'regenerate', key })}>
                      {t.keys.regenerate}
                    </button>
                    <a className="button" href={`#/usage/${key.id}`}>
                      {t.keys.usage}
                    </a>
                    <button type="button" className="danger" onClick={() => setOpen({ kind: 'delete', key })}>
                      {t.keys.delete}
                    </button>
                  </div>,
                ],
              }))}
            />
          )}
          <Pager page={pager.page} nextCursor={list.value?.nextCursor ?? null} pager={pager} />
        </>
      )}

      {open?.kind === 'create' && (
        <KeyFormDialog
          scope={scope}
          onClose={() => setOpen(null)}
          onCreated={(key) => {
            setOpen({ kind: 'reveal', key });
            list.reload();
          }}
        />
      )}
      {open?.kind === 'edit' && (
        <KeyFormDialog
          scope={scope}
          existing={open.key}
          onClose={() => setOpen(null)}
          onSaved={(key) => {
            setOpen(null);
            setInfo(t.keys.saved(key.name));
            list.reload();
          }}
        />
      )}
      {open?.kind === 'regenerate' && (
        <RegenerateDialog
          keyView={open.key}
          onClose={() => setOpen(null)}
          onRegenerated={(key) => {
            setOpen({ kind: 'reveal', key });
            list.reload();
          }}
        />
      )}
      {open?.kind === 'delete' && (
        <DeleteDialog
          keyView={open.key}
          onClose={() => setOpen(null)}
          onDeleted={() => {
            setInfo(t.keys.deleted(open.key.name));
            setOpen(null);
            list.reload();
          }}
        />
      )}
      {open?.kind === 'reveal' && <RevealDialog secret={open.key.key} onClose={() => setOpen(null)} />}
    </section>
  );
}
