import type { KeyRecord } from '@gw/contracts';
import { checkAccess } from './check-access.js';
import { compilePrincipal, creditLimits, quotaExhausted } from './principal.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');

function record(over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'k1',
    state: 'active',
    owner: { type: 'account', id: 'a1', status: 'active', creditLimitMicros: null },
    tier: { name: 'basic', rpm: 50, priority: false, models: ['gpt-4o-mini', 'gpt-4o'] },
    expiresAt: null,
    permissions: ['read'],
    allowedModels: [],
    ipAllowlist: [],
    quota: { type: 'unlimited', limitMicros: null, exhaustedPeriod: null },
    group: { name: 'default', multiplierPpm: 1_000_000 },
    rpm: null,
    tpm: null,
    secretValidUntil: null,
    ...over,
  };
}

const check = (over: Partial<KeyRecord>, ctx = {}) => checkAccess(compilePrincipal(record(over)), ctx, NOW);

describe('checkAccess', () => {
  it('lets an active key through', () => {
    expect(check({}, { clientIp: '1.2.3.4', permission: 'read', model: 'gpt-4o' })).toBeNull();
  });

  it('answers each status with its own code', () => {
    expect(check({ state: 'revoked' })).toBe('key_revoked');
    expect(check({ state: 'disabled' })).toBe('key_disabled');
    expect(check({ owner: { type: 'account', id: 'a', status: 'suspended', creditLimitMicros: null } })).toBe(
      'account_restricted',
    );
    expect(check({ expiresAt: '2026-11-22T11:59:59Z' })).toBe('expired_api_key');
    expect(check({ expiresAt: '2026-11-22T12:00:01Z' })).toBeNull();
    expect(check({ secretValidUntil: '2026-11-22T11:00:00Z' })).toBe('key_revoked');
    expect(check({ secretValidUntil: '2026-11-22T13:00:00Z' })).toBeNull();
  });

  it('checks status before expiry, and key checks before request checks', () => {
    expect(check({ state: 'disabled', expiresAt: '2020-01-01T00:00:00Z' })).toBe('key_disabled');
    expect(check({ state: 'disabled', ipAllowlist: ['10.0.0.0/8'] }, { clientIp: '1.1.1.1' })).toBe(
      'key_disabled',
    );
  });

  it('enforces the IP allow-list (v4, v6, CIDR) only when the caller gives an address', () => {
    const over = { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'] };
    expect(check(over, { clientIp: '10.1.2.3' })).toBeNull();
    expect(check(over, { clientIp: '::ffff:127.0.0.1' })).toBeNull();
    expect(check(over, { clientIp: '2001:db8::9' })).toBeNull();
    expect(check(over, { clientIp: '11.0.0.1' })).toBe('ip_not_allowed');
    expect(check(over, { clientIp: '2001:db9::1' })).toBe('ip_not_allowed');
    expect(check(over, {})).toBeNull();
  });

  it('needs the permission (admin implies all)', () => {
    expect(check({ permissions: ['webhook'] }, { permission: 'read' })).toBe('insufficient_permissions');
    expect(check({ permissions: ['admin'] }, { permission: 'read' })).toBeNull();
  });

  it('allows a model only if both the key and the tier do', () => {
    expect(check({}, { model: 'gpt-4.1' })).toBe('model_not_allowed');
    expect(check({ allowedModels: ['gpt-4o'] }, { model: 'gpt-4o-mini' })).toBe('model_not_allowed');
    expect(check({ allowedModels: ['gpt-4o'] }, { model: 'gpt-4o' })).toBeNull();
    expect(
      check({ tier: { name: 'pro', rpm: 100, priority: false, models: ['*'] } }, { model: 'anything' }),
    ).toBeNull();
  });
});

describe('quotaExhausted', () => {
  it('counts a monthly exhaustion only in its own UTC month', () => {
    const p = (type: 'monthly' | 'total', exhaustedPeriod: string | null) =>
      compilePrincipal(record({ quota: { type, limitMicros: 1, exhaustedPeriod } }));
    expect(quotaExhausted(p('monthly', '2026-11'), NOW)).toBe(true);
    expect(quotaExhausted(p('monthly', '2026-10'), NOW)).toBe(false);
    expect(quotaExhausted(p('total', 'lifetime'), NOW)).toBe(true);
    expect(quotaExhausted(p('total', null), NOW)).toBe(false);
  });
});

describe('creditLimits', () => {
  const limits = (over: Partial<KeyRecord>) => creditLimits(compilePrincipal(record(over)), NOW);

  it('is null when neither the key nor the owner has a limit', () => {
    expect(limits({})).toBeNull();
  });

  it("gives a monthly quota's current UTC month, a total quota's lifetime, and the owner's credit", () => {
    expect(limits({ quota: { type: 'monthly', limitMicros: 5, exhaustedPeriod: null } })).toEqual({
      key: { micros: 5, type: 'monthly', period: '2026-11' },
      ownerMicros: null,
    });
    const owner = { type: 'account' as const, id: 'a1', status: 'active' as const, creditLimitMicros: 9 };
    expect(limits({ owner, quota: { type: 'total', limitMicros: 5, exhaustedPeriod: null } })).toEqual({
      key: { micros: 5, type: 'total', period: 'lifetime' },
      ownerMicros: 9,
    });
    expect(limits({ owner })).toEqual({ key: null, ownerMicros: 9 });
  });
});
