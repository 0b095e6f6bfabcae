import { SecretBox } from './secret-box.js';

const box = new SecretBox('a-test-encryption-key-of-32-chars!!');
const id = '00000000-0000-4000-8000-000000000001';

describe('SecretBox', () => {
  it('round-trips, with a fresh IV each time', () => {
    const a = box.seal('whsec_c2VjcmV0', id);
    const b = box.seal('whsec_c2VjcmV0', id);
    expect(a).not.toBe(b);
    expect(a).not.toContain('c2VjcmV0');
    expect(box.open(a, id)).toBe('whsec_c2VjcmV0');
    expect(box.open(b, id)).toBe('whsec_c2VjcmV0');
  });

  it('detects tampering with any byte', () => {
    const sealed = box.seal('whsec_c2VjcmV0', id);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const i of [0, 12, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[i] ^= 1;
      expect(() => box.open(`v1.${bad.toString('base64url')}`, id)).toThrow();
    }
    expect(() => box.open(sealed.slice(0, -4), id)).toThrow();
    expect(() => box.open(`v2${sealed.slice(2)}`, id)).toThrow();
    expect(() => box.open('v1.', id)).toThrow();
  });

  it('does not open a value bound to another webhook, or sealed under another key', () => {
    const sealed = box.seal('whsec_c2VjcmV0', id);
    expect(() => box.open(sealed, '00000000-0000-4000-8000-000000000002')).toThrow();
    expect(() => new SecretBox('another-encryption-key-32-chars!!!').open(sealed, id)).toThrow();
  });

  it('refuses a short key', () => {
    expect(() => new SecretBox('short')).toThrow();
  });
});
