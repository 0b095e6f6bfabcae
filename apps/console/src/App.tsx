// The console's frame: who is signed in, the scope (personal account or an organization), the sections, and
// the screen of the address.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, messageOf, setCsrfToken, whenSignedOut } from './api';
import { ErrorNotice, Loading } from './components/Notice';
import { KeysPage } from './keys/KeysPage';
import { MembersPage } from './members/MembersPage';
import { OperatorPage } from './operator/OperatorPage';
import { hrefOf, type Route, useRoute } from './route';
import { t } from './strings';
import type { MeView, Scope, SessionView } from './types';
import { UsagePage } from './usage/UsagePage';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; message: string | null }
  | { kind: 'signed-in'; session: SessionView; me: MeView }
  | { kind: 'failed'; message: string; signedIn: boolean };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = useCallback(async () => {
    try {
      const session = await api<SessionView>('GET', '/auth/session');
      setCsrfToken(session.csrfToken);
      const me = await api<MeView>('GET', '/v1/me');
      setState({ kind: 'signed-in', session, me });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setState({ kind: 'signed-out', message: null });
      // Signed in but refused (a suspended account, say): the message, and the way out.
      else
        setState({
          kind: 'failed',
          message: messageOf(err),
          signedIn: err instanceof ApiError && err.status > 0,
        });
    }
  }, []);
  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      setState({ kind: 'signed-out', message: t.sessionEnded });
    });
    void load();
  }, [load]);

  if (state.kind === 'loading') return <Loading />;
  if (state.kind === 'failed')
    return (
      <main id="main">
        <h1>{t.appName}</h1>
        <ErrorNotice message={state.message} />
        {state.signedIn && (
          <SignOutButton onSignedOut={() => setState({ kind: 'signed-out', message: null })} />
        )}
      </main>
    );
  if (state.kind === 'signed-out') return <SignedOut message={state.message} />;
  return (
    <SignedIn
      session={state.session}
      me={state.me}
      onSignedOut={() => setState({ kind: 'signed-out', message: null })}
    />
  );
}

function SignedOut({ message }: { message: string | null }) {
  return (
    <main className="signed-out" id="main">
      <h1>{t.appName}</h1>
      <ErrorNotice message={message} />
      <p>{t.signInPrompt}</p>
      <a className="button primary" href="/auth/login">
        {t.signIn}
      </a>
    </main>
  );
}

function scopesOf(me: MeView): Scope[] {
  const personal: Scope[] = me.account ? [{ type: 'account', id: me.account.id, name: me.account.name }] : [];
  return [...personal, ...me.organizations.map((o) => ({ type: 'organization' as const, ...o }))];
}

function SignedIn(props: { session: SessionView; me: MeView; onSignedOut: () => void }) {
  const route = useRoute();
  const scopes = scopesOf(props.me);
  const [scopeKey, setScopeKey] = useState(`${scopes[0]?.type}:${scopes[0]?.id}`);
  const scope = scopes.find((s) => `${s.type}:${s.id}` === scopeKey) ?? scopes[0];
  const [error, setError] = useState<string | null>(null);
  const managesOrg = scope?.type === 'organization' && scope.role !== 'member';
  const sections: [Route['screen'], string][] = [
    ['keys', t.nav.keys],
    ['usage', t.nav.usage],
    ...(managesOrg ? [['members', t.nav.members] as [Route['screen'], string]] : []),
    ...(props.me.operator ? [['operator', t.nav.operator] as [Route['screen'], string]] : []),
  ];

  let screen;
  if (route.screen === 'operator' && props.me.operator) screen = <OperatorPage />;
  else if (!scope) screen = null;
  else if (route.screen === 'usage') screen = <UsagePage key={scopeKey} scope={scope} keyId={route.keyId} />;
  else if (route.screen === 'members' && scope.type === 'organization')
    screen = <MembersPage key={scopeKey} scope={scope} />;
  else screen = <KeysPage key={scopeKey} scope={scope} />;

  return (
    <>
      <a className="skip" href="#main">
        {t.skipToContent}
      </a>
      <header className="top">
        <span className="brand">{t.appName}</span>
        {scopes.length > 0 && (
          <label className="scope">
            <span>{t.scope.label}</span>
            <select value={scopeKey} onChange={(e) => setScopeKey(e.target.value)}>
              {scopes.map((s) => (
                <option key={`${s.type}:${s.id}`} value={`${s.type}:${s.id}`}>
                  {s.type === 'account'
                    ? t.scope.personal(s.name)
                    : t.scope.organization(s.name, t.roles[s.role] ?? s.role)}
                </option>
              ))}
            </select>
          </label>
        )}
        <SignOutButton onSignedOut={props.onSignedOut} onError={setError} />
      </header>
      <nav className="sections" aria-label={t.nav.label}>
        {sections.map(([s, label]) => (
          <a
            key={s}
            href={hrefOf({ screen: s } as Route)}
            aria-current={route.screen === s ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        <ErrorNotice message={error} onDismiss={() => setError(null)} />
        {screen}
      </main>
    </>
  );
}

/** Ends the session here, then at the provider (which sends the person back to the console). */
function SignOutButton(props: { onSignedOut: () => void; onError?: (message: string) => void }) {
  const signOut = async () => {
    try {
      const { endSessionUrl } = await api<{ endSessionUrl: string | null }>('POST', '/auth/logout');
      setCsrfToken(null);
      if (endSessionUrl && /^https?:\/\//.test(endSessionUrl)) location.assign(endSessionUrl);
      else props.onSignedOut();
    } catch (err) {
      props.onError?.(messageOf(err));
    }
  };
  return (
    <button type="button" onClick={() => void signOut()}>
      {t.signOut}
    </button>
  );
}
