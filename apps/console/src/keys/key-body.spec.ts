import type { KeyView } from '../types';
import { bodyOf, consumed, endOfDay, initial } from './key-body';

const key: KeyView = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'backend',
  maskedKey: 'gw-sk-****abcd',
  owner: { type: 'account', id: '22222222-2222-4222-8222-222222222222' },
  status: 'expired',
  permissions: ['read'],
  allowedModels: ['gpt-4o-mini'],
  ipAllowlist: ['10.0.0.0/8'],
  quota: { type: 'monthly', limit: 5, used: 1.234, period: '2026-11' },
  group: 'default',
  rpm: 60,
  tpm: null,
  expiresAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2025-12-01T00:00:00.000Z',
  updatedAt: '2025-12-01T00:00:00.000Z',
  lastUsedAt: null,
};

describe('the key form', () => {
  it('creates with every field it has, leaving empty limits and expiry out', () => {
    const form = { ...initial(), name: ' new key ', models: 'a, b\nc', ips: '', permissions: ['read'] };
    expect(bodyOf(form, null)).toEqual({
      name: 'new key',
      quota: { type: 'unlimited' },
      allowedModels: ['a', 'b', 'c'],
      ipAllowlist: [],
      permissions: ['read'],
    });
  });

  it('sends a quota limit and an expiry at the end of the chosen local day', () => {
    const form = {
      ...initial(),
      name: 'k',
      quotaType: 'total' as const,
      quotaLimit: '12.5',
      expires: true,
      expiryDate: '2030-05-06',
    };
    const body = bodyOf(form, null);
    expect(body.quota).toEqual({ type: 'total', limit: 12.5 });
    expect(body.expiresAt).toBe(endOfDay('2030-05-06'));
    expect(new Date(body.expiresAt as string).getDate()).toBe(6);
  });

  it('edits with only what changed: an untouched past expiry is not sent back', () => {
    const before = initial(key);
    expect(bodyOf(before, before)).toEqual({});
    expect(bodyOf({ ...before, name: 'renamed' }, before)).toEqual({ name: 'renamed' });
    expect(bodyOf({ ...before, expires: false }, before)).toEqual({ expiresAt: null });
    expect(bodyOf({ ...before, enabled: false, rpm: '' }, before)).toEqual({ enabled: false, rpm: null });
    expect(bodyOf({ ...before, quotaLimit: '7' }, before)).toEqual({ quota: { type: 'monthly', limit: 7 } });
  });

  it('shows consumed / limit with two decimals, Unlimited without a limit', () => {
    expect(consumed(key)).toBe('1.23 / 5.00');
    expect(consumed({ ...key, quota: { type: 'unlimited', limit: null, used: null, period: null } })).toBe(
      '0.00 / Unlimited',
    );
  });
});
