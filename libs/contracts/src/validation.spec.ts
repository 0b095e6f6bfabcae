import { CreateKeyInput, UpdateKeyInput } from './keys.js';
import { parseInput } from './validation.js';

describe('input validation', () => {
  it('names an unknown field', () => {
    const res = parseInput(CreateKeyInput, { name: 'a', colour: 'red' });
    expect(res).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: 'Unknown field: colour.', param: 'colour' },
    });
  });

  it('names a nested field', () => {
    const res = parseInput(CreateKeyInput, { name: 'a', quota: { type: 'monthly', limit: -1 } });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.param).toBe('quota.limit');
  });

  it('rejects a past expiry, a bad CIDR, an unknown permission, an over-long name and control characters', () => {
    const cases: [unknown, string][] = [
      [{ name: 'a', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'a', ipAllowlist: ['10.0.0.1/8'] }, 'ipAllowlist.0'],
      [{ name: 'a', permissions: ['root'] }, 'permissions.0'],
      [{ name: 'x'.repeat(65) }, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'a\u0000b' }, 'name'],
      [{ name: 'a\nb' }, 'name'],
      [{ name: 'a', quota: { type: 'unlimited', limit: 5 } }, 'quota.limit'],
      [{ name: 'a', quota: { type: 'total' } }, 'quota.limit'],
    ];
    for (const [body, param] of cases) {
      const res = parseInput(CreateKeyInput, body);
      expect(res.ok ? 'accepted' : res.error.param).toBe(param);
    }
  });

  it('requires at least one field on update', () => {
    expect(parseInput(UpdateKeyInput, {}).ok).toBe(false);
    expect(parseInput(UpdateKeyInput, { enabled: false }).ok).toBe(true);
  });
});
