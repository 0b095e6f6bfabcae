// Every validation error is a 400 invalid_request in OpenAI's envelope, naming the field in `param`.
import { type KeyService, startKeyService } from './harness.js';

let ks: KeyService;
let writer: string;
let keyId: string;

beforeAll(async () => {
  ks = await startKeyService();
  const account = await ks.newAccount();
  writer = (await ks.newKey({ type: 'account', id: account }, { permissions: ['read', 'write'] })).secret;
  keyId = (await ks.newKey({ type: 'account', id: account })).id;
});
afterAll(() => ks.close());

const past = '2001-01-01T00:00:00Z';
const future = new Date(Date.now() + 86_400_000).toISOString();

const createCases: [string, unknown, string | null][] = [
  ['missing name', {}, 'name'],
  ['empty name', { name: '' }, 'name'],
  ['name of 65 chars', { name: 'x'.repeat(65) }, 'name'],
  ['name with edge whitespace', { name: ' a ' }, 'name'],
  ['name of wrong type', { name: 5 }, 'name'],
  ['unknown field', { name: 'a', colour: 'red' }, 'colour'],
  ['unknown nested field', { name: 'a', quota: { type: 'unlimited', extra: 1 } }, 'quota.extra'],
  ['expiry in the past', { name: 'a', expiresAt: past }, 'expiresAt'],
  ['expiry not a date', { name: 'a', expiresAt: 'tomorrow' }, 'expiresAt'],
  ['unknown permission', { name: 'a', permissions: ['root'] }, 'permissions.0'],
  ['repeated permission', { name: 'a', permissions: ['read', 'read'] }, 'permissions'],
  ['bad IPv4', { name: 'a', ipAllowlist: ['300.1.1.1'] }, 'ipAllowlist.0'],
  ['bad CIDR prefix', { name: 'a', ipAllowlist: ['10.0.0.0/33'] }, 'ipAllowlist.0'],
  ['CIDR with host bits', { name: 'a', ipAllowlist: ['10.0.0.1/8'] }, 'ipAllowlist.0'],
  ['bad IPv6', { name: 'a', ipAllowlist: ['2001:db8::g'] }, 'ipAllowlist.0'],
  ['model name of wrong type', { name: 'a', allowedModels: [1] }, 'allowedModels.0'],
  ['quota of unknown type', { name: 'a', quota: { type: 'weekly', limit: 1 } }, 'quota.type'],
  ['unlimited quota with a limit', { name: 'a', quota: { type: 'unlimited', limit: 1 } }, 'quota.limit'],
  ['monthly quota without limit', { name: 'a', quota: { type: 'monthly' } }, 'quota.limit'],
  ['negative limit', { name: 'a', quota: { type: 'total', limit: -1 } }, 'quota.limit'],
  ['zero limit', { name: 'a', quota: { type: 'total', limit: 0 } }, 'quota.limit'],
  ['limit with 7 decimals', { name: 'a', quota: { type: 'total', limit: 0.0000001 } }, 'quota.limit'],
  ['rpm zero', { name: 'a', rpm: 0 }, 'rpm'],
  ['rpm fractional', { name: 'a', rpm: 1.5 }, 'rpm'],
  ['tpm as string', { name: 'a', tpm: '100' }, 'tpm'],
  ['unknown group', { name: 'a', group: 'nope' }, 'group'],
  ['bad group slug', { name: 'a', group: 'Not A Slug' }, 'group'],
  [
    'owner of unknown type',
    { name: 'a', owner: { type: 'team', id: '00000000-0000-4000-8000-000000000000' } },
    'owner.type',
  ],
  ['owner id not a uuid', { name: 'a', owner: { type: 'account', id: '42' } }, 'owner.id'],
  ['body not an object', [1, 2], null],
];

describe('POST /v1/keys validation', () => {
  it.each(createCases)('%s → 400', async (_label, body, param) => {
    const res = await ks.call('POST', '/v1/keys', writer, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', code: 'invalid_request', param },
    });
  });

  it('answers malformed JSON with 400 invalid_request', async () => {
    const res = await ks.call('POST', '/v1/keys', writer, '{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('answers a body over the limit with 413 request_too_large', async () => {
    const res = await ks.call('POST', '/v1/keys', writer, {
      name: 'a',
      allowedModels: ['x'.repeat(2_000_000)],
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('request_too_large');
  });

  it('the operator must name the owner', async () => {
    const res = await ks.call('POST', '/v1/keys', ks.admin, { name: 'a' });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('owner');
  });

  it('accepts a future expiry with an offset', async () => {
    const res = await ks.call('POST', '/v1/keys', writer, {
      name: 'future',
      expiresAt: future.replace('Z', '+00:00'),
    });
    expect(res.status).toBe(201);
  });
});

const updateCases: [string, unknown, string | null][] = [
  ['empty patch', {}, null],
  ['unknown field', { secret: 'x' }, 'secret'],
  ['enabled as string', { enabled: 'no' }, 'enabled'],
  ['expiry in the past', { expiresAt: past }, 'expiresAt'],
  ['bad CIDR', { ipAllowlist: ['fe80::/200'] }, 'ipAllowlist.0'],
  ['bad quota', { quota: { type: 'total', limit: 'lots' } }, 'quota.limit'],
  ['unknown group', { group: 'nope' }, 'group'],
];

describe('PATCH /v1/keys/:id validation', () => {
  it.each(updateCases)('%s → 400', async (_label, body, param) => {
    const res = await ks.call('PATCH', `/v1/keys/${keyId}`, writer, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', param });
  });
});

describe('other inputs', () => {
  it('regenerate: grace period out of range or of wrong type', async () => {
    for (const body of [
      { gracePeriodSeconds: -1 },
      { gracePeriodSeconds: 604_801 },
      { gracePeriodSeconds: '5' },
    ]) {
      const res = await ks.call('POST', `/v1/keys/${keyId}/regenerate`, writer, body);
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('gracePeriodSeconds');
    }
  });

  it('list: bad status, limit, cursor and owner filters', async () => {
    const cases: [string, string][] = [
      ['status=gone', 'status'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['ownerType=account', 'ownerId'],
      ['ownerId=00000000-0000-4000-8000-000000000000', 'ownerType'],
      ['unknown=1', 'unknown'],
    ];
    for (const [query, param] of cases) {
      const res = await ks.call('GET', `/v1/keys?${query}`, writer);
      expect([query, res.status, res.body.error?.param]).toEqual([query, 400, param]);
    }
  });

  it('an id that is not a uuid is simply not found', async () => {
    for (const [method, path] of [
      ['GET', '/v1/keys/123'],
      ['PATCH', '/v1/keys/123'],
      ['DELETE', '/v1/keys/abc'],
      ['POST', '/v1/keys/abc/regenerate'],
    ]) {
      const res = await ks.call(method, path, writer, method === 'PATCH' ? { name: 'x' } : undefined);
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'not_found']);
    }
  });

  it('an unknown route is 404 in the envelope', async () => {
    const res = await ks.call('GET', '/v2/nothing', writer);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
