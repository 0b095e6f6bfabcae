// Every management route, mechanically: the route list comes from the OpenAPI document (/docs-json), so a new
// route fails this file until it has an entry in FIXTURES below (how to fill its path for a tenant, a valid
// minimal body, and which tenancy rule it follows). For each route: no or a bad bearer → 401; another
// tenant → 404 (operator-only routes → 403); a read key on a write → 403; a key outside its IP allow-list,
// expired, disabled, a secret retired by regenerate, a suspended owner → its code; a key without management
// permissions → 403; the operator reaches it. Every error is OpenAI's envelope and nothing answers 500.
import { randomUUID } from 'node:crypto';
import { createKeyFormat } from '@gw/key-format';
import { type KeyService, type Reply, sleep, startKeyService } from './harness.js';

// ---------------------------------------------------------------------------------------------------------
// The route table. Keys are the OpenAPI path templates; each method the document lists under a template needs
// an entry here.
// ---------------------------------------------------------------------------------------------------------

/** One tenant's resources, one per kind of path parameter. */
interface Tenant {
  account: string;
  /** An account that is a plain member of `org`. */
  member: string;
  /** An organization the operator made with `account` as its owner. */
  org: string;
  /** A key of `account` (no permissions: a target, never a caller). */
  key: string;
  webhook: string;
}

/**
 * How a tenant key meets another tenant's resource (case b):
 * - owned: the path (or the owner in the body/query) names another tenant's resource → 404 not_found;
 * - operator-only: only the operator may call it → 403 insufficient_permissions for any tenant key;
 * - catalogue-read: the operator's catalogue, readable by any valid key → 200;
 * - own-collection: a list scoped to the caller's own owners → 200 with nothing of the other tenant in it.
 */
type Tenancy = 'owned' | 'operator-only' | 'catalogue-read' | 'own-collection';

interface RouteFixture {
  tenancy: Tenancy;
  /** What the operator gets with the tenant's resources and this body (its success status). */
  ok: 200 | 201 | 204;
  /** A valid minimal body for this (method, template), for the given tenant. */
  body?: (t: Tenant) => unknown;
  /** Query string (with its `?`) naming the tenant where the route takes its owner from the query. */
  query?: (t: Tenant) => string;
  /** A `read` key on this non-GET route: 403 insufficient_permissions unless this states a stricter 404. */
  readKey?: 404;
  /** Answered from metering over NATS: 503 service_unavailable when no metering-service runs (this suite starts none). */
  needsMetering?: true;
}

interface TemplateFixture {
  /** Fills every `{param}` of the template with the tenant's resource of that kind. */
  params: (t: Tenant) => Record<string, string>;
  methods: Partial<Record<Method, RouteFixture>>;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Catalogue entries this file owns (the operator creates them in beforeAll; PUTs write the same values). */
const MODEL = 'routes-security-test-model';
const GROUP = 'routes-security-test-group';
const TIER = 'routes-security-test-tier';
const MODEL_PRICE = { inputPrice: 1000, outputPrice: 2000 };
const GROUP_BODY = { multiplier: 1 };
const TIER_BODY = { rpm: null, models: ['*'] };
/**
 * Webhook destinations are checked by resolving them; example.com does not resolve in the sandbox, so a public
 * IP literal. Subscribed to an event nothing here causes, so no delivery is ever attempted.
 */
const HOOK = { url: 'https://93.184.215.14/hook', events: ['quota.exhausted'] };

const none = () => ({});
const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const accountOwner = (t: Tenant) => ({ type: 'account', id: t.account });
const ownerQuery = (t: Tenant) => `?ownerType=account&ownerId=${t.account}`;
const catalogueRead: RouteFixture = { tenancy: 'catalogue-read', ok: 200 };

const FIXTURES: Record<string, TemplateFixture> = {
  '/v1/keys': {
    params: none,
    methods: {
      POST: { tenancy: 'owned', ok: 201, body: (t) => ({ name: name('k'), owner: accountOwner(t) }) },
      GET: { tenancy: 'owned', ok: 200, query: ownerQuery },
    },
  },
  '/v1/keys/{id}': {
    params: (t) => ({ id: t.key }),
    methods: {
      GET: { tenancy: 'owned', ok: 200 },
      PATCH: { tenancy: 'owned', ok: 200, body: () => ({ name: name('renamed') }) },
      DELETE: { tenancy: 'owned', ok: 204 },
    },
  },
  '/v1/keys/{id}/regenerate': {
    params: (t) => ({ id: t.key }),
    methods: { POST: { tenancy: 'owned', ok: 200, body: () => ({}) } },
  },
  '/v1/keys/{id}/usage': {
    params: (t) => ({ id: t.key }),
    methods: { GET: { tenancy: 'owned', ok: 200, needsMetering: true } },
  },
  '/v1/accounts': {
    params: none,
    methods: {
      POST: { tenancy: 'operator-only', ok: 201, body: () => ({ name: name('acct') }) },
      GET: { tenancy: 'operator-only', ok: 200 },
    },
  },
  '/v1/me': { params: none, methods: { GET: { tenancy: 'own-collection', ok: 200 } } },
  '/v1/accounts/{id}': {
    params: (t) => ({ id: t.account }),
    methods: {
      GET: { tenancy: 'owned', ok: 200 },
      PATCH: { tenancy: 'owned', ok: 200, body: () => ({ name: name('acct') }) },
    },
  },
  '/v1/accounts/{id}/identities': {
    params: (t) => ({ id: t.account }),
    methods: {
      GET: { tenancy: 'owned', ok: 200 },
      POST: {
        tenancy: 'owned',
        ok: 201,
        body: () => ({ subject: name('person'), issuer: 'https://idp.example.test' }),
      },
      DELETE: {
        tenancy: 'owned',
        ok: 200,
        query: () => `?subject=${name('person')}&issuer=${encodeURIComponent('https://idp.example.test')}`,
      },
    },
  },
  '/v1/accounts/{id}/sessions': {
    params: (t) => ({ id: t.account }),
    methods: { DELETE: { tenancy: 'owned', ok: 200 } },
  },
  '/v1/accounts/{id}/usage': {
    params: (t) => ({ id: t.account }),
    methods: { GET: { tenancy: 'owned', ok: 200, needsMetering: true } },
  },
  '/v1/organizations': {
    params: none,
    methods: {
      POST: {
        tenancy: 'operator-only',
        ok: 201,
        body: (t) => ({ name: name('org'), ownerAccountId: t.account }),
      },
    },
  },
  '/v1/organizations/{id}': {
    params: (t) => ({ id: t.org }),
    methods: {
      GET: { tenancy: 'owned', ok: 200 },
      PATCH: { tenancy: 'owned', ok: 200, body: () => ({ name: name('org') }) },
    },
  },
  '/v1/organizations/{id}/members': {
    params: (t) => ({ id: t.org }),
    methods: {
      POST: { tenancy: 'owned', ok: 201, body: (t) => ({ accountId: t.member, role: 'member' }) },
    },
  },
  '/v1/organizations/{id}/members/{accountId}': {
    params: (t) => ({ id: t.org, accountId: t.member }),
    methods: { DELETE: { tenancy: 'owned', ok: 200 } },
  },
  '/v1/organizations/{id}/usage': {
    params: (t) => ({ id: t.org }),
    methods: { GET: { tenancy: 'owned', ok: 200, needsMetering: true } },
  },
  '/v1/pricing/models': { params: none, methods: { GET: catalogueRead } },
  '/v1/pricing/models/{model}': {
    params: () => ({ model: MODEL }),
    methods: {
      GET: catalogueRead,
      PUT: { tenancy: 'operator-only', ok: 200, body: () => MODEL_PRICE },
    },
  },
  '/v1/pricing/groups': { params: none, methods: { GET: catalogueRead } },
  '/v1/pricing/groups/{name}': {
    params: () => ({ name: GROUP }),
    methods: {
      GET: catalogueRead,
      PUT: { tenancy: 'operator-only', ok: 200, body: () => GROUP_BODY },
    },
  },
  '/v1/tiers': { params: none, methods: { GET: catalogueRead } },
  '/v1/tiers/{name}': {
    params: () => ({ name: TIER }),
    methods: {
      GET: catalogueRead,
      PUT: { tenancy: 'operator-only', ok: 200, body: () => TIER_BODY },
    },
  },
  '/v1/audit-events': {
    params: none,
    methods: { GET: { tenancy: 'own-collection', ok: 200, query: (t) => `?targetId=${t.key}` } },
  },
  '/v1/webhooks': {
    params: none,
    methods: {
      POST: { tenancy: 'owned', ok: 201, body: (t) => ({ ...HOOK, owner: accountOwner(t) }) },
      GET: { tenancy: 'owned', ok: 200, query: ownerQuery },
    },
  },
  '/v1/webhooks/{id}': {
    params: (t) => ({ id: t.webhook }),
    methods: {
      GET: { tenancy: 'owned', ok: 200 },
      PATCH: { tenancy: 'owned', ok: 200, body: () => ({ events: ['quota.exhausted', 'quota.threshold'] }) },
      DELETE: { tenancy: 'owned', ok: 204 },
    },
  },
  '/v1/webhooks/{id}/deliveries': {
    params: (t) => ({ id: t.webhook }),
    methods: { GET: { tenancy: 'owned', ok: 200 } },
  },
};

// ---------------------------------------------------------------------------------------------------------
// The routes, from the service's own OpenAPI document.
// ---------------------------------------------------------------------------------------------------------

const ks: KeyService = await startKeyService();
afterAll(() => ks.close());

const docReply = await fetch(`${ks.adminUrl}/docs-json`);
if (!docReply.ok) throw new Error(`/docs-json answered ${docReply.status}`);
const doc = (await docReply.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];
/** [method, template] for every operation under /v1/, in the document's order. */
const ROUTES: [Method, string][] = Object.entries(doc.paths)
  .filter(([template]) => template.startsWith('/v1/'))
  .flatMap(([template, item]) =>
    Object.keys(item)
      .filter((m) => HTTP_METHODS.includes(m))
      .map((m): [Method, string] => [m.toUpperCase() as Method, template]),
  );

function fixture(method: Method, template: string): RouteFixture & { params: TemplateFixture['params'] } {
  const entry = FIXTURES[template]?.methods[method];
  if (!entry) {
    throw new Error(
      `${method} ${template} is in the OpenAPI document but not in FIXTURES (test/routes.security.test.ts): ` +
        'add how to fill its path for a tenant, a valid body, and its tenancy rule.',
    );
  }
  return { ...entry, params: FIXTURES[template].params };
}

/** The concrete request of a route for a tenant: path with its parameters filled, query, body. */
function request(method: Method, template: string, t: Tenant): { path: string; body?: unknown } {
  const f = fixture(method, template);
  const values = f.params(t);
  const path = template.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = values[param];
    if (value === undefined) throw new Error(`FIXTURES['${template}'].params fills no {${param}}`);
    return encodeURIComponent(value);
  });
  return { path: path + (f.query?.(t) ?? ''), body: f.body?.(t) };
}

// ---------------------------------------------------------------------------------------------------------
// Assertions: the route, the status and the whole body side by side, so a failure names all three.
// ---------------------------------------------------------------------------------------------------------

const nullOrString = {
  $$typeof: Symbol.for('jest.asymmetricMatcher'),
  asymmetricMatch: (v: unknown) => v === null || typeof v === 'string',
  toAsymmetricMatcher: () => 'null or a string',
};

function expectError(route: string, res: Reply, status: number, code: string) {
  expect({ route, status: res.status, body: res.body }).toEqual({
    route,
    status,
    body: { error: { message: expect.any(String), type: expect.any(String), code, param: nullOrString } },
  });
}

/** A call with extra headers (the harness's `call` sends only the bearer and the content type). */
async function callWith(
  method: string,
  path: string,
  token: string,
  body: unknown,
  extra: Record<string, string>,
): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(ks.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function expectSuccess(route: string, res: Reply, status: number) {
  expect({ route, status: res.status, error: res.body?.error }).toEqual({ route, status, error: undefined });
}

// ---------------------------------------------------------------------------------------------------------
// Tenants and callers.
// ---------------------------------------------------------------------------------------------------------

async function must(method: string, path: string, body: unknown, expected: number) {
  const res = await ks.call(method, path, ks.admin, body);
  if (res.status !== expected)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** An account with an organization (it the owner, another account a member), a key and a webhook. */
async function makeTenant(): Promise<Tenant> {
  const [account, member] = await Promise.all([ks.newAccount(), ks.newAccount()]);
  const [org, key, webhook] = await Promise.all([
    must('POST', '/v1/organizations', { name: name('org'), ownerAccountId: account }, 201),
    ks.newKey({ type: 'account', id: account }),
    must('POST', '/v1/webhooks', { ...HOOK, owner: { type: 'account', id: account } }, 201),
  ]);
  await must('POST', `/v1/organizations/${org.id}/members`, { accountId: member, role: 'member' }, 201);
  return { account, member, org: org.id, key: key.id, webhook: webhook.id };
}

let A: Tenant;
let B: Tenant;
/** The tenant whose account (and organization) the operator suspends. */
let S: Tenant;
/** Callers: tenant keys (the secrets), all of tenant B unless named otherwise. */
const keys = {
  /** A's key holding every permission: what one tenant can do to another. */
  adminA: '',
  read: '',
  noPermissions: '',
  outsideIpList: '',
  expired: '',
  disabled: '',
  /** The old secret of a key regenerated with a grace period (still inside it). */
  retired: '',
  /** The secret of a deleted key (kept as a tombstone). */
  deleted: '',
  /** An admin key of S, whose account is suspended. */
  suspended: '',
  /** An admin key of S's organization, which is suspended too. */
  suspendedOrg: '',
};

beforeAll(async () => {
  // Tenants first, then the expiring key: its two seconds run while the other keys are set up.
  [A, B, S] = await Promise.all([makeTenant(), makeTenant(), makeTenant()]);
  const b = { type: 'account' as const, id: B.account };
  const expiresAt = Date.now() + 2000;
  const expiring = ks.newKey(b, { permissions: ['admin'], expiresAt: new Date(expiresAt).toISOString() });
  await Promise.all([
    must('PUT', `/v1/pricing/models/${MODEL}`, MODEL_PRICE, 200),
    must('PUT', `/v1/pricing/groups/${GROUP}`, GROUP_BODY, 200),
    must('PUT', `/v1/tiers/${TIER}`, TIER_BODY, 200),
  ]);
  const admin = { permissions: ['admin'] };
  const [adminA, read, noPermissions, outside, disabled, retiring, deleted, suspended, suspendedOrg] =
    await Promise.all([
      ks.newKey({ type: 'account', id: A.account }, admin),
      ks.newKey(b, { permissions: ['read'] }),
      ks.newKey(b),
      ks.newKey(b, { ...admin, ipAllowlist: ['10.0.0.0/8', 'fd00::/8'] }),
      ks.newKey(b, admin),
      ks.newKey(b, admin),
      ks.newKey(b, admin),
      ks.newKey({ type: 'account', id: S.account }, admin),
      ks.newKey({ type: 'organization', id: S.org }, admin),
    ]);
  expect(noPermissions.view.permissions).toEqual([]);
  await Promise.all([
    must('PATCH', `/v1/keys/${disabled.id}`, { enabled: false }, 200),
    must('POST', `/v1/keys/${retiring.id}/regenerate`, { gracePeriodSeconds: 3600 }, 200),
    must('DELETE', `/v1/keys/${deleted.id}`, undefined, 204),
    must('PATCH', `/v1/accounts/${S.account}`, { status: 'suspended' }, 200),
    must('PATCH', `/v1/organizations/${S.org}`, { status: 'suspended' }, 200),
  ]);
  Object.assign(keys, {
    adminA: adminA.secret,
    read: read.secret,
    noPermissions: noPermissions.secret,
    outsideIpList: outside.secret,
    disabled: disabled.secret,
    retired: retiring.secret,
    deleted: deleted.secret,
    suspended: suspended.secret,
    suspendedOrg: suspendedOrg.secret,
    expired: (await expiring).secret,
  });
  // The only wait in this file.
  await sleep(Math.max(0, expiresAt - Date.now() + 50));
});

// ---------------------------------------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------------------------------------

describe('the route table', () => {
  it('the OpenAPI document lists the management routes', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(ROUTES.length).toBeGreaterThan(20);
  });

  it('has an entry for every route of the OpenAPI document (add new routes to FIXTURES)', () => {
    const missing = ROUTES.filter(([m, t]) => !FIXTURES[t]?.methods[m]).map(([m, t]) => `${m} ${t}`);
    expect(missing).toEqual([]);
  });

  it('has no entry for a route the document does not list (a removed or renamed route)', () => {
    const listed = new Set(ROUTES.map(([m, t]) => `${m} ${t}`));
    const stale = Object.entries(FIXTURES).flatMap(([t, f]) =>
      Object.keys(f.methods)
        .map((m) => `${m} ${t}`)
        .filter((r) => !listed.has(r)),
    );
    expect(stale).toEqual([]);
  });
});

describe.each(ROUTES)('%s %s', (method, template) => {
  const route = `${method} ${template}`;
  const send = (token: string | null, t: Tenant = B) => {
    const { path, body } = request(method, template, t);
    return ks.call(method, path, token, body);
  };

  it('401 missing_api_key without a bearer token', async () => {
    expectError(route, await send(null), 401, 'missing_api_key');
  });

  it('401 invalid_api_key for a garbage and for an unknown well-formed bearer', async () => {
    for (const token of ['garbage', createKeyFormat(ks.config.keyPrefix).generate()]) {
      expectError(`${route} [${token.slice(0, 7)}]`, await send(token), 401, 'invalid_api_key');
    }
  });

  it("another tenant's admin key: its tenancy rule", async () => {
    const f = fixture(method, template);
    const res = await send(keys.adminA);
    if (f.tenancy === 'owned') expectError(route, res, 404, 'not_found');
    else if (f.tenancy === 'operator-only') expectError(route, res, 403, 'insufficient_permissions');
    else {
      expectSuccess(route, res, 200);
      if (f.tenancy === 'own-collection') {
        const text = JSON.stringify(res.body);
        for (const id of Object.values(B)) expect([route, text.includes(id)]).toEqual([route, false]);
      }
    }
  });

  if (method !== 'GET') {
    it('a read key of the owner: 403 insufficient_permissions', async () => {
      const f = fixture(method, template);
      const res = await send(keys.read);
      if (f.readKey === 404) expectError(route, res, 404, 'not_found');
      else expectError(route, res, 403, 'insufficient_permissions');
    });
  }

  it('a key without management permissions (it calls models only): 403 insufficient_permissions', async () => {
    expectError(route, await send(keys.noPermissions), 403, 'insufficient_permissions');
  });

  it('an admin key used from outside its IP allow-list: 403 ip_not_allowed, X-Forwarded-For or not', async () => {
    expectError(route, await send(keys.outsideIpList), 403, 'ip_not_allowed');
    // No proxy is trusted here: a client naming an allowed address itself changes nothing.
    const { path, body } = request(method, template, B);
    const spoofed = await callWith(method, path, keys.outsideIpList, body, { 'x-forwarded-for': '10.1.2.3' });
    expectError(`${route} [x-forwarded-for]`, spoofed, 403, 'ip_not_allowed');
  });

  it('an expired admin key: 401 expired_api_key', async () => {
    expectError(route, await send(keys.expired), 401, 'expired_api_key');
  });

  it('a disabled admin key: 403 key_disabled', async () => {
    expectError(route, await send(keys.disabled), 403, 'key_disabled');
  });

  it('the old secret of a regenerated admin key (in its grace period), a deleted key: 403 key_revoked', async () => {
    expectError(`${route} [retired]`, await send(keys.retired), 403, 'key_revoked');
    expectError(`${route} [deleted]`, await send(keys.deleted), 403, 'key_revoked');
  });

  it("admin keys of a suspended account and org, on the account's resources: 403 account_restricted", async () => {
    expectError(`${route} [account key]`, await send(keys.suspended, S), 403, 'account_restricted');
    expectError(`${route} [org key]`, await send(keys.suspendedOrg, S), 403, 'account_restricted');
  });

  it('the operator reaches it (a fresh tenant: deletes and regenerates touch nothing shared)', async () => {
    const f = fixture(method, template);
    const res = await send(ks.admin, await makeTenant());
    if (f.needsMetering && res.status === 503) expectError(route, res, 503, 'service_unavailable');
    else expectSuccess(route, res, f.ok);
  });
});
