// An organization's members, for its owners and admins: add by account id, change a role, remove.
import { type FormEvent, useState } from 'react';
import { api, messageOf } from '../api';
import { CardTable } from '../components/CardTable';
import { ErrorNotice, InfoNotice, Loading } from '../components/Notice';
import { useLoad } from '../components/useLoad';
import { t } from '../strings';
import type { OrganizationView, Scope } from '../types';

const ROLES = ['owner', 'admin', 'member'] as const;

export function MembersPage({ scope }: { scope: Extract<Scope, { type: 'organization' }> }) {
  const org = useLoad(() => api<OrganizationView>('GET', `/v1/organizations/${scope.id}`), [scope.id]);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [accountId, setAccountId] = useState('');
  const [role, setRole] = useState<string>('member');

  const act = async (work: () => Promise<OrganizationView>) => {
    setError(null);
    setInfo(null);
    try {
      await work();
      org.reload();
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const done = await act(() =>
      api('POST', `/v1/organizations/${scope.id}/members`, { accountId: accountId.trim(), role }),
    );
    if (done) setAccountId('');
  };

  const m = t.members;
  if (scope.role === 'member') return <p>{m.notAllowed}</p>;
  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">{m.title(scope.name)}</h1>
      <InfoNotice message={info} />
      <ErrorNotice message={error ?? org.error} onDismiss={error ? () => setError(null) : undefined} />
      {org.loading && !org.value ? (
        <Loading />
      ) : (
        <CardTable
          label={m.title(scope.name)}
          columns={[m.name, m.account, m.role, m.actions]}
          rows={(org.value?.members ?? []).map((member) => ({
            key: member.accountId,
            cells: [
              member.name,
              <code>{member.accountId}</code>,
              <select
                aria-label={m.changeRole(member.name)}
                value={member.role}
                onChange={(e) =>
                  void act(() =>
                    api('POST', `/v1/organizations/${scope.id}/members`, {
                      accountId: member.accountId,
                      role: e.target.value,
                    }),
                  )
                }
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t.roles[r]}
                  </option>
                ))}
              </select>,
              <button
                type="button"
                className="danger"
                onClick={() =>
                  void act(() => api('DELETE', `/v1/organizations/${scope.id}/members/${member.accountId}`))
                }
              >
                {m.remove(member.name)}
              </button>,
            ],
          }))}
        />
      )}
      <form className="inline-form" onSubmit={(e) => void add(e)}>
        <label className="field">
          <span>{m.addAccount}</span>
          <input
            required
            value={accountId}
            onChange={(e) => setAccountId(e.target.value)}
            spellCheck={false}
          />
        </label>
        <label className="field">
          <span>{m.role}</span>
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t.roles[r]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          {m.add}
        </button>
      </form>
    </section>
  );
}
