import { displayName } from './oidc-client.js';

describe('displayName', () => {
  it('drops control and format characters (NUL, bidi overrides) and collapses spaces', () => {
    expect(displayName('Ada\u0000 \u202eLovelace\u202c\n\t Jr')).toBe('Ada Lovelace Jr');
    expect(displayName('\u0000\u200b')).toBe('');
  });
  it('keeps at most 64 characters, whole code points', () => {
    expect([...displayName('😀'.repeat(100))]).toHaveLength(64);
  });
});
