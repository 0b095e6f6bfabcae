// The development identity provider end to end, with openid-client as the relying party (as key-service will
// be): authorization code + PKCE through the real sign-in page, the demo user's claims in the ID token, and
// what it refuses.
import { freePort } from '@gw/testing';
import * as oidc from 'openid-client';
import { loadDevIdpConfig } from '../src/config.js';
import { createDevIdp } from '../src/server.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const PASSWORD = 'correct-horse-battery';
let idp: ReturnType<typeof createDevIdp>;
let issuer: string;
let rp: oidc.Configuration;

beforeAll(async () => {
  const port = await freePort();
  const config = loadDevIdpConfig({
    PORT: String(port),
    DEMO_USER: 'demo',
    DEMO_PASSWORD: PASSWORD,
    DEMO_GROUPS: 'gateway-operators,team-a',
    OIDC_CLIENT_ID: 'console',
    OIDC_CLIENT_SECRET: 'console-secret-0123456789',
    OIDC_REDIRECT_URIS: REDIRECT,
  });
  idp = createDevIdp(config);
  issuer = await idp.listen();
  rp = await oidc.discovery(new URL(issuer), 'console', 'console-secret-0123456789', undefined, {
    execute: [oidc.allowInsecureRequests],
  });
});
afterAll(() => idp.close());

/** A browser's cookie jar and redirect handling, just enough for the provider's pages. */
function browser() {
  const jar = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  };
  /** Follows redirects within the provider; stops at the first page, or at a redirect to the client. */
  const follow = async (url: string, init?: RequestInit) => {
    let res = await request(url, init);
    while (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, url).href;
      if (!next.startsWith(issuer)) return { res, location: next };
      url = next;
      res = await request(url);
    }
    return { res, url, location: undefined as string | undefined };
  };
  return { request, follow };
}

async function startSignIn(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    scope: 'openid profile email groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const b = browser();
  const page = await b.follow(url.href);
  return { b, page, verifier, state };
}

const submit = (b: ReturnType<typeof browser>, pageUrl: string, form: Record<string, string>) =>
  b.follow(new URL(`${new URL(pageUrl).pathname}/login`, issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

it('signs the demo user in with the authorization code and PKCE, groups in the ID token', async () => {
  const { b, page, verifier, state } = await startSignIn();
  expect(page.res.status).toBe(200);
  const text = await page.res.text();
  expect(text).toMatch(/<label for="username">Username<\/label>/);
  expect(text).toMatch(/<label for="password">Password<\/label>/);
  expect(text).toMatch(/<button type="submit">Sign in<\/button>/);
  expect(text).toMatch(/local use only/);

  const done = await submit(b, page.url!, { username: 'demo', password: PASSWORD });
  expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/auth\/callback\?code=/);
  const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.location!), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  expect(tokens.claims()).toMatchObject({
    iss: issuer,
    aud: 'console',
    sub: 'dev|demo',
    preferred_username: 'demo',
    groups: ['gateway-operators', 'team-a'],
  });

  // A code is good once.
  await expect(
    oidc.authorizationCodeGrant(rp, new URL(done.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    }),
  ).rejects.toMatchObject({ error: 'invalid_grant' });
});

it('refuses a wrong password or username with the page again, and a code for the wrong verifier', async () => {
  const { b, page, state } = await startSignIn();
  const tooLong = await submit(b, page.url!, { username: 'demo', password: PASSWORD.repeat(500) });
  expect(tooLong.res.status).toBe(413); // past the form bound: refused, not parsed
  for (const form of [
    { username: 'demo', password: 'wrong-password-123' },
    { username: 'root', password: PASSWORD },
  ]) {
    const again = await submit(b, page.url!, form);
    expect(again.res.status).toBe(401);
    expect(await again.res.text()).toMatch(/role="alert">Wrong username or password/);
  }
  const done = await submit(b, page.url!, { username: 'demo', password: PASSWORD });
  await expect(
    oidc.authorizationCodeGrant(rp, new URL(done.location!), {
      pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
      expectedState: state,
    }),
  ).rejects.toMatchObject({ error: 'invalid_grant' });
});

it('requires PKCE, and sends nobody to a redirect URI it does not know', async () => {
  const noPkce = new URL(`${issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: 'console',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    state: 's',
  }))
    noPkce.searchParams.set(k, v);
  const refused = await fetch(noPkce, { redirect: 'manual' });
  expect(refused.headers.get('location') ?? '').toMatch(/error=invalid_request/);

  const elsewhere = new URL(noPkce);
  elsewhere.searchParams.set('redirect_uri', 'https://attacker.example/cb');
  const res = await fetch(elsewhere, { redirect: 'manual' });
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
});

it('answers an unknown or expired sign-in with a plain 400, not an error', async () => {
  const res = await fetch(`${issuer}/interaction/unknown-uid`);
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/start again/);
});
