import { createHash } from 'node:crypto';
import { BASE62_ALPHABET } from './base62.js';
import { createKeyFormat, DEFAULT_KEY_PREFIX, hashKey } from './key-format.js';

const format = createKeyFormat();

describe('key format', () => {
  it('generates keys with the prefix, a 43-character body and a 6-character checksum', () => {
    const key = format.generate();
    expect(key.startsWith(DEFAULT_KEY_PREFIX)).toBe(true);
    expect(key).toHaveLength(DEFAULT_KEY_PREFIX.length + 43 + 6);
    expect(key.slice(DEFAULT_KEY_PREFIX.length)).toMatch(/^[0-9A-Za-z]+$/);
  });

  it('validates every generated key', () => {
    for (let i = 0; i < 5000; i++) {
      const key = format.generate();
      expect(format.parse(key)).toEqual({ ok: true, key });
    }
  });

  it('rejects every single-character change, at every position', () => {
    const alphabet = BASE62_ALPHABET + '-_';
    for (let n = 0; n < 5; n++) {
      const key = format.generate();
      for (let i = 0; i < key.length; i++) {
        for (const ch of alphabet) {
          if (ch === key[i]) continue;
          const changed = key.slice(0, i) + ch + key.slice(i + 1);
          expect(format.parse(changed).ok).toBe(false);
        }
      }
    }
  });

  it('rejects a wrong prefix, length or charset with its reason', () => {
    const key = format.generate();
    expect(format.parse('sk-' + key.slice(6))).toEqual({ ok: false, reason: 'prefix' });
    expect(format.parse(key + 'a')).toEqual({ ok: false, reason: 'length' });
    expect(format.parse(key.slice(0, -1))).toEqual({ ok: false, reason: 'length' });
    expect(format.parse(key.slice(0, 10) + '!' + key.slice(11))).toEqual({ ok: false, reason: 'charset' });
    expect(format.parse('')).toEqual({ ok: false, reason: 'prefix' });
  });

  it('never collides in a large sample', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(format.generate());
    expect(seen.size).toBe(100_000);
  });

  it('masks as prefix, four stars and the last four characters', () => {
    const key = format.generate();
    expect(format.mask(key)).toBe(`gw-sk-****${key.slice(-4)}`);
  });

  it('supports a configurable prefix, and a key of one prefix does not validate under another', () => {
    const acme = createKeyFormat('acme-');
    const key = acme.generate();
    expect(key.startsWith('acme-')).toBe(true);
    expect(acme.parse(key).ok).toBe(true);
    expect(format.parse(key).ok).toBe(false);
    expect(() => createKeyFormat('bad prefix')).toThrow();
  });

  it('hashes with SHA-256 to 64 hex characters, deterministically', () => {
    const key = format.generate();
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKey(key)).toBe(hashKey(key));
    expect(hashKey(key)).not.toBe(hashKey(format.generate()));
  });

  it('hashes as SHA-256 over UTF-8 did before (stored hashes depend on it)', () => {
    expect(hashKey('gw-sk-abc')).toBe(createHash('sha256').update('gw-sk-abc').digest('hex'));
    expect(hashKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const text of ['gw-sk-é€😀', 'gw-sk-\ud800x', 'gw-sk-\u00ff'])
      expect(hashKey(text)).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
