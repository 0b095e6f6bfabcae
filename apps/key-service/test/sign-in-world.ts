// Console sign-in tests' world: the development identity provider as a process, knowing one person and the
// console client for the given key-service ports, and key-services signing in through it.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type RunningService, startService } from '@gw/testing';
import type { KeyServiceConfig } from '../src/config.js';
import { type KeyService, startKeyService } from './harness.js';

/** The console's built files (turbo builds @gw/console before these tests). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

type ConsoleAuth = NonNullable<KeyServiceConfig['consoleAuth']>;

export interface SignInWorld {
  idp: RunningService;
  username: string;
  password: string;
  /** A key-service on `port` (one of those given) signing in through the provider; `extra` changes settings. */
  keyService(port: number, extra?: Partial<ConsoleAuth>): Promise<KeyService>;
  /** The person signs in to `service` in browser `b`, up to the callback URL (not yet visited). */
  signInUntilCallback(
    service: KeyService,
    b?: ReturnType<typeof browser>,
  ): Promise<{ b: ReturnType<typeof browser>; callback: string; login: Response }>;
  /** The person signs in to `service` in a new browser; `back` is the callback's answer. */
  signIn(service: KeyService): Promise<{ b: ReturnType<typeof browser>; back: Response }>;
}

export async function startSignInWorld(ports: number[], groups = 'team-a'): Promise<SignInWorld> {
  const username = `person-${randomUUID().slice(0, 8)}`;
  const password = `password-${randomUUID()}`;
  const client = { id: 'console-test', secret: 'console-test-secret-0123456789' };
  const callback = (port: number) => `http://127.0.0.1:${port}/auth/callback`;
  const idp = await startService('dev-idp', {
    DEMO_USER: username,
    DEMO_PASSWORD: password,
    DEMO_GROUPS: groups,
    OIDC_CLIENT_ID: client.id,
    OIDC_CLIENT_SECRET: client.secret,
    OIDC_REDIRECT_URIS: ports.map(callback).join(','),
    OIDC_POST_LOGOUT_REDIRECT_URIS: ports.map((port) => `http://127.0.0.1:${port}/console/`).join(','),
  });
  const person = { idp, username, password };
  return {
    idp,
    username,
    password,
    signInUntilCallback: (service, b) => signInUntilCallback(person, service, b),
    signIn: (service) => signIn(person, service),
    keyService: (port, extra = {}) =>
      startKeyService({
        overrides: {
          port,
          adminPort: 0,
          redis: { url: process.env.REDIS_URL! },
          consoleDir: CONSOLE_DIR,
          consoleAuth: {
            issuer: idp.url,
            clientId: client.id,
            clientSecret: client.secret,
            redirectUri: callback(port),
            postLogoutRedirectUri: `http://127.0.0.1:${port}/console/`,
            scopes: 'openid profile email groups',
            groupsClaim: 'groups',
            operatorGroup: undefined,
            allowedGroup: undefined,
            defaultTier: 'free',
            provisioning: 'first-sign-in',
            organizationGroupPrefix: undefined,
            sessionTtlMs: 3_600_000,
            ...extra,
          },
        },
      }),
  };
}

/** A browser: one cookie jar per origin, redirects followed by hand. */
export function browser() {
  const jars = new Map<string, Map<string, string>>();
  const jar = (url: string) => {
    const origin = new URL(url).origin;
    if (!jars.has(origin)) jars.set(origin, new Map());
    return jars.get(origin)!;
  };
  const request = async (url: string, init: RequestInit = {}) => {
    const cookie = [...jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar(url).delete(pair.slice(0, i));
      else jar(url).set(pair.slice(0, i), value);
    }
    return res;
  };
  return { request, jar };
}

/** Follows redirects until one leaves `until`'s origin or a page is reached. */
export async function follow(
  b: ReturnType<typeof browser>,
  url: string,
  init?: RequestInit,
  stopAt?: string,
) {
  let res = await b.request(url, init);
  while (res.status >= 300 && res.status < 400) {
    const next = new URL(res.headers.get('location')!, url).href;
    if (stopAt && next.startsWith(stopAt)) return { res, url, next };
    url = next;
    res = await b.request(url);
  }
  return { res, url, next: undefined as string | undefined };
}

/** Up to the provider's redirect back: the callback URL, not yet visited. */
async function signInUntilCallback(
  person: { idp: RunningService; username: string; password: string },
  service: KeyService,
  b = browser(),
) {
  const login = await b.request(`${service.url}/auth/login`);
  expect(login.status).toBe(302);
  const page = await follow(b, login.headers.get('location')!);
  expect(page.res.status).toBe(200);
  const done = await follow(
    b,
    new URL(`${new URL(page.url).pathname}/login`, person.idp.url).href,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: person.username, password: person.password }).toString(),
    },
    `${service.url}/auth/callback`,
  );
  return { b, callback: done.next!, login };
}

async function signIn(
  person: { idp: RunningService; username: string; password: string },
  service: KeyService,
) {
  const { b, callback } = await signInUntilCallback(person, service);
  const back = await b.request(callback);
  return { b, back };
}
