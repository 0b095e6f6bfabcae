import { exceedsBounds, hasOwnLimits, isRestricted, type KeyBounds } from './key-bounds.js';

const open: KeyBounds = {
  permissions: ['admin'],
  allowedModels: [],
  ipAllowlist: [],
  expiresAt: null,
  quotaType: 'unlimited',
  quotaLimit: null,
  rpm: null,
  tpm: null,
};
const key = (over: Partial<KeyBounds>): KeyBounds => ({ ...open, permissions: [], ...over });
const param = (holder: Partial<KeyBounds>, target: Partial<KeyBounds>) =>
  exceedsBounds(key({ permissions: ['write'], ...holder }), key(target))?.param ?? null;

describe('exceedsBounds', () => {
  it('an unrestricted admin key holds anything', () => {
    expect(exceedsBounds(open, key({ permissions: ['read', 'write', 'webhook'] }))).toBeNull();
    expect(exceedsBounds(open, open)).toBeNull();
  });

  it('permissions: at most the holder’s (admin holds all)', () => {
    expect(param({}, { permissions: ['write', 'read'] })).toBe('permissions');
    expect(param({ permissions: ['read', 'write'] }, { permissions: ['read'] })).toBeNull();
    expect(param({}, { permissions: [] })).toBeNull();
  });

  it('models: a subset of a non-empty list; "all" (empty) only under "all"', () => {
    expect(param({ allowedModels: ['a', 'b'] }, { allowedModels: ['a'] })).toBeNull();
    expect(param({ allowedModels: ['a'] }, { allowedModels: ['a', 'c'] })).toBe('allowedModels');
    expect(param({ allowedModels: ['a'] }, { allowedModels: [] })).toBe('allowedModels');
    expect(param({}, { allowedModels: ['x'] })).toBeNull();
  });

  it('IP allow-list: every range inside one of the holder’s; "any" (empty) only under "any"', () => {
    expect(param({ ipAllowlist: ['10.0.0.0/8'] }, { ipAllowlist: ['10.1.0.0/16', '10.2.3.4'] })).toBeNull();
    expect(param({ ipAllowlist: ['10.0.0.0/8'] }, { ipAllowlist: ['0.0.0.0/0'] })).toBe('ipAllowlist');
    expect(param({ ipAllowlist: ['10.0.0.0/8'] }, { ipAllowlist: ['11.0.0.1'] })).toBe('ipAllowlist');
    expect(param({ ipAllowlist: ['10.0.0.0/8'] }, { ipAllowlist: [] })).toBe('ipAllowlist');
    expect(param({ ipAllowlist: ['2001:db8::/32'] }, { ipAllowlist: ['2001:db8:1::/48'] })).toBeNull();
    expect(param({ ipAllowlist: ['2001:db8::/32'] }, { ipAllowlist: ['10.0.0.1'] })).toBe('ipAllowlist');
  });

  it('expiry: never later than the holder’s, and never "never" under an expiring holder', () => {
    const at = new Date('2027-01-01T00:00:00Z');
    expect(param({ expiresAt: at }, { expiresAt: new Date('2026-12-31T00:00:00Z') })).toBeNull();
    expect(param({ expiresAt: at }, { expiresAt: at })).toBeNull();
    expect(param({ expiresAt: at }, { expiresAt: new Date('2027-01-02T00:00:00Z') })).toBe('expiresAt');
    expect(param({ expiresAt: at }, { expiresAt: null })).toBe('expiresAt');
  });

  it('quota: no larger, and a total quota never becomes a refilling monthly one', () => {
    const monthly = { quotaType: 'monthly' as const, quotaLimit: '5000000' };
    const total = { quotaType: 'total' as const, quotaLimit: '5000000' };
    expect(param(monthly, { quotaType: 'monthly', quotaLimit: '5000000' })).toBeNull();
    expect(param(monthly, { quotaType: 'total', quotaLimit: '1000000' })).toBeNull();
    expect(param(monthly, { quotaType: 'monthly', quotaLimit: '5000001' })).toBe('quota');
    expect(param(monthly, {})).toBe('quota');
    expect(param(total, { quotaType: 'monthly', quotaLimit: '1' })).toBe('quota');
    expect(param(total, { quotaType: 'total', quotaLimit: '5000000' })).toBeNull();
  });

  it('rpm and tpm: set and no larger under a holder that has them', () => {
    expect(param({ rpm: 10 }, { rpm: 10 })).toBeNull();
    expect(param({ rpm: 10 }, { rpm: 11 })).toBe('rpm');
    expect(param({ rpm: 10 }, { rpm: null })).toBe('rpm');
    expect(param({ tpm: 100 }, { tpm: null })).toBe('tpm');
    expect(param({}, { rpm: 5, tpm: 5 })).toBeNull();
  });
});

describe('hasOwnLimits and isRestricted', () => {
  it('quota, rpm and tpm are own limits; models, IPs and expiry only restrict', () => {
    expect(hasOwnLimits(open)).toBe(false);
    expect(hasOwnLimits(key({ quotaType: 'total', quotaLimit: '1' }))).toBe(true);
    expect(hasOwnLimits(key({ rpm: 1 }))).toBe(true);
    expect(hasOwnLimits(key({ tpm: 1 }))).toBe(true);
    expect(hasOwnLimits(key({ allowedModels: ['a'] }))).toBe(false);
    expect(isRestricted(open)).toBe(false);
    for (const r of [
      { allowedModels: ['a'] },
      { ipAllowlist: ['10.0.0.1'] },
      { expiresAt: new Date() },
      { rpm: 1 },
    ])
      expect(isRestricted(key(r))).toBe(true);
  });
});
