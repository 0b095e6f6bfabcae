// The console's sign-in (issue #12) against the real development identity provider and the stack's Redis and
// Postgres: authorization code + PKCE through the provider's page, the HttpOnly session cookie, CSRF on
// state-changing calls, forged, replayed and cross-browser callbacks refused, expiry and sign-out.
import { randomUUID } from 'node:crypto';
import { freePort, type RunningService } from '@gw/testing';
import { type KeyService, startKeyService } from './harness.js';
import { browser, type SignInWorld, startSignInWorld } from './sign-in-world.js';

let world: SignInWorld;
let idp: RunningService;
let ks: KeyService;
let short: KeyService;
let operators: KeyService;
let outsiders: KeyService;

beforeAll(async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const [port, shortPort, operatorPort, outsiderPort] = ports;
  world = await startSignInWorld(ports);
  ({ idp } = world);
  ks = await world.keyService(port);
  short = await world.keyService(shortPort, { sessionTtlMs: 1500 });
  operators = await world.keyService(operatorPort, { operatorGroup: 'team-a' });
  outsiders = await world.keyService(outsiderPort, { allowedGroup: 'another-team' });
}, 60_000);
afterAll(async () => {
  await Promise.all([ks.close(), short.close(), operators.close(), outsiders.close()]);
  await idp.stop();
});

const signInUntilCallback = (service: KeyService, b = browser()) => world.signInUntilCallback(service, b);
const signIn = (service: KeyService) => world.signIn(service);

it('signs a person in with code + PKCE, into an HttpOnly session, and provisions their account once', async () => {
  const { b, callback, login } = await signInUntilCallback(ks);
  const to = new URL(login.headers.get('location')!);
  expect(to.origin).toBe(idp.url);
  expect(to.searchParams.get('code_challenge_method')).toBe('S256');
  expect(to.searchParams.get('state')).toBeTruthy();
  expect(to.searchParams.get('nonce')).toBeTruthy();
  expect(login.headers.getSetCookie().join()).toMatch(/gw_signin=[^;]+;.*HttpOnly/i);

  const back = await b.request(callback);
  expect(back.status).toBe(302);
  expect(back.headers.get('location')).toBe('/console/');
  const cookie = back.headers.getSetCookie().find((c) => c.startsWith('gw_session='))!;
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
  expect(cookie).not.toMatch(/Secure/i); // plain http on loopback only

  const session: any = await (await b.request(`${ks.url}/auth/session`)).json();
  expect(session).toMatchObject({ operator: false, account: { id: expect.any(String) } });

  // The session acts for the person's own account: its keys, and creating one (with the CSRF token).
  expect((await b.request(`${ks.url}/v1/keys`)).status).toBe(200);
  const body = JSON.stringify({ name: `console-${randomUUID().slice(0, 8)}`, permissions: ['read'] });
  const json = { 'content-type': 'application/json' };
  const noCsrf = await b.request(`${ks.url}/v1/keys`, { method: 'POST', headers: json, body });
  expect(noCsrf.status).toBe(403);
  const created = await b.request(`${ks.url}/v1/keys`, {
    method: 'POST',
    headers: { ...json, 'x-csrf-token': session.csrfToken },
    body,
  });
  expect(created.status).toBe(201);
  expect(((await created.json()) as any).owner).toEqual({ type: 'account', id: session.account.id });

  // The same person signing in again is the same account; both sign-ins are in the audit log.
  const again = await signIn(ks);
  const second: any = await (await again.b.request(`${ks.url}/auth/session`)).json();
  expect(second.account.id).toBe(session.account.id);
  const audit = await ks.call('GET', `/v1/audit-events?targetId=${session.account.id}`, ks.admin);
  const actions = (audit.body.data as { action: string }[]).map((e) => e.action);
  expect(actions.filter((a) => a === 'console.sign_in')).toHaveLength(2);
  expect(actions).toContain('account.created');

  // Sign-out needs the token too, then the cookie opens nothing.
  expect((await b.request(`${ks.url}/auth/logout`, { method: 'POST' })).status).toBe(403);
  const out = await b.request(`${ks.url}/auth/logout`, {
    method: 'POST',
    headers: { 'x-csrf-token': session.csrfToken },
  });
  expect(out.status).toBe(200);
  // Where the browser ends its session at the provider too: its end-session endpoint, with the ID token as
  // the hint and the console as the way back; the provider's sign-out page answers there.
  const { endSessionUrl } = (await out.json()) as { endSessionUrl: string };
  const end = new URL(endSessionUrl);
  expect(end.origin).toBe(idp.url);
  expect(end.searchParams.get('id_token_hint')).toMatch(/^ey/);
  expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${ks.url}/console/`);
  const signOutPage = await b.request(endSessionUrl);
  expect([signOutPage.status, await signOutPage.text()]).toEqual([200, expect.stringContaining('Sign out')]);
  const signedOut = await ks.call(
    'GET',
    `/v1/audit-events?action=console.sign_out&targetId=${session.account.id}`,
    ks.admin,
  );
  expect(signedOut.body.data.length).toBeGreaterThanOrEqual(1);
  b.jar(ks.url).set('gw_session', cookie.split(';')[0].split('=')[1]); // even if the browser kept it
  expect((await b.request(`${ks.url}/v1/keys`)).status).toBe(401);
}, 30_000);

it('refuses a forged callback, a replayed one, and one delivered to another browser', async () => {
  const forged = await fetch(`${ks.url}/auth/callback?code=abc&state=${randomUUID()}`, {
    redirect: 'manual',
  });
  expect(forged.status).toBe(400);

  const { b, callback } = await signInUntilCallback(ks);
  // The same link in a browser that did not start the sign-in (a login-CSRF attempt) is refused; the
  // browser that started it still finishes.
  const elsewhere = await fetch(callback, { redirect: 'manual' });
  expect(elsewhere.status).toBe(400);
  expect((await b.request(callback)).status).toBe(302);

  const second = await signInUntilCallback(ks);
  expect((await second.b.request(second.callback)).status).toBe(302);
  const replay = await second.b.request(second.callback);
  expect(replay.status).toBe(400);
  expect(await replay.json()).toMatchObject({ error: { code: 'invalid_request' } });
}, 30_000);

it('ends a session when it expires', async () => {
  const { b, back } = await signIn(short);
  expect(back.status).toBe(302);
  expect((await b.request(`${short.url}/v1/keys`)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1800));
  const late = await b.request(`${short.url}/v1/keys`);
  expect(late.status).toBe(401);
}, 30_000);

it('leaves bearer calls alone: a bearer token is used even beside a session cookie', async () => {
  const res = await fetch(`${ks.url}/v1/keys`, {
    headers: { authorization: 'Bearer nope', cookie: 'gw_session=x' },
  });
  expect(res.status).toBe(401);
  expect(((await res.json()) as any).error.code).toBe('invalid_api_key');
});

it('answers 503, not 500, while Redis (the sessions) is unreachable', async () => {
  const port = await freePort();
  const down = await startKeyService({
    overrides: {
      port,
      adminPort: 0,
      redis: { url: 'redis://127.0.0.1:1' },
      consoleAuth: { ...ks.config.consoleAuth!, redirectUri: `http://127.0.0.1:${port}/auth/callback` },
    },
  });
  try {
    const call = await fetch(`${down.url}/v1/keys`, { headers: { cookie: 'gw_session=abc' } });
    expect(call.status).toBe(503);
    expect(((await call.json()) as any).error.code).toBe('service_unavailable');
    // Starting a sign-in stores nothing server-side (the attempt is sealed in the browser's cookie).
    expect((await fetch(`${down.url}/auth/login`, { redirect: 'manual' })).status).toBe(302);
    // Bearer calls never needed Redis.
    expect((await down.call('GET', '/v1/tiers', down.admin)).status).toBe(200);
  } finally {
    await down.close();
  }
});

it('lets only the allowed group in, gives the operator group operator sessions of at most an hour', async () => {
  const outsider = await signIn(outsiders);
  expect(outsider.back.status).toBe(403);
  expect(((await outsider.back.json()) as any).error.code).toBe('account_restricted');
  const refusals = await ks.call(
    'GET',
    `/v1/audit-events?action=console.sign_in_refused&targetId=${encodeURIComponent(`dev|${world.username}`)}`,
    ks.admin,
  );
  expect(refusals.body.data[0]).toMatchObject({
    changes: { reason: { after: 'not in the allowed group' } },
  });

  const { b, back } = await signIn(operators);
  const cookie = back.headers.getSetCookie().find((c) => c.startsWith('gw_session='))!;
  expect(Number(/Max-Age=(\d+)/i.exec(cookie)![1])).toBeLessThanOrEqual(3600);
  const session: any = await (await b.request(`${operators.url}/auth/session`)).json();
  expect(session.operator).toBe(true);
  // Operator-only: another owner's keys.
  const other = await operators.newAccount();
  expect((await b.request(`${operators.url}/v1/keys?ownerType=account&ownerId=${other}`)).status).toBe(200);
}, 30_000);

it('refuses a session record another service wrote into Redis, and a non-ASCII CSRF token without a 500', async () => {
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    const id = randomUUID();
    const { createHash } = await import('node:crypto');
    // A complete, well-formed operator record: only its missing MAC gives it away.
    const forged = JSON.stringify({
      accountId: randomUUID(),
      operator: true,
      csrf: 'x'.repeat(43),
      issuer: idp.url,
      subject: 'dev|someone',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await redis.set(
      `ks:session:${createHash('sha256').update(id).digest('hex')}`,
      `AAAA.${forged}`,
      'PX',
      60_000,
    );
    const res = await fetch(`${ks.url}/v1/keys`, { headers: { cookie: `gw_session=${id}` } });
    expect(res.status).toBe(401);
  } finally {
    redis.disconnect();
  }
  const { b } = await signIn(ks);
  const odd = await b.request(`${ks.url}/v1/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': '\u00e9'.repeat(43) },
    body: '{}',
  });
  expect(odd.status).toBe(403);
}, 30_000);

it('the operator ends every session of an account at once; suspending a person stops theirs, operator ones too', async () => {
  const first = await signIn(ks);
  const second = await signIn(ks);
  const { account }: any = await (await first.b.request(`${ks.url}/auth/session`)).json();
  const ended = await ks.call('DELETE', `/v1/accounts/${account.id}/sessions`, ks.admin);
  // These two, and any the earlier tests of this file left open for the same person.
  expect(ended.status).toBe(200);
  expect(ended.body.ended).toBeGreaterThanOrEqual(2);
  for (const { b } of [first, second]) expect((await b.request(`${ks.url}/v1/keys`)).status).toBe(401);
  const audit = await ks.call('GET', `/v1/audit-events?targetId=${account.id}`, ks.admin);
  expect(audit.body.data.map((e: { action: string }) => e.action)).toContain('account.sessions_ended');

  // A session the account's index does not know (written before the index existed, or while the sessions
  // were being ended) is refused as well: what was begun before the ending does not count.
  const unindexed = await signIn(ks);
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    await redis.del(`ks:account-sessions:${account.id}`);
  } finally {
    redis.disconnect();
  }
  await ks.call('DELETE', `/v1/accounts/${account.id}/sessions`, ks.admin);
  expect((await unindexed.b.request(`${ks.url}/v1/keys`)).status).toBe(401);

  const person = await signIn(ks);
  const operator = await signIn(operators);
  expect((await operator.b.request(`${operators.url}/v1/tiers`)).status).toBe(200);
  await ks.call('PATCH', `/v1/accounts/${account.id}`, ks.admin, { status: 'suspended' });
  try {
    for (const [b, url] of [
      [person.b, ks.url],
      [operator.b, operators.url],
    ] as const) {
      const res = await b.request(`${url}/v1/tiers`);
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([403, 'account_restricted']);
    }
    const again = await signIn(operators);
    expect(again.back.status).toBe(403);
  } finally {
    await ks.call('PATCH', `/v1/accounts/${account.id}`, ks.admin, { status: 'active' });
  }
}, 30_000);
