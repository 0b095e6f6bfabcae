import { parseEvent } from './event-schemas.js';

const owner = { type: 'account', id: '00000000-0000-4000-8000-000000000001' };
const keyId = '00000000-0000-4000-8000-0000000000aa';
const at = '2026-11-25T00:00:00.000Z';

describe('parseEvent', () => {
  it('accepts what the services publish', () => {
    const hashes = ['a'.repeat(64)];
    expect(
      parseEvent('keys.events.changed', { scope: 'key', keyId, owner, hashes, reason: 'updated', at }),
    ).toBeDefined();
    expect(
      parseEvent('keys.events.changed', { scope: 'owner', owner, reason: 'owner_updated', at }),
    ).toBeDefined();
    expect(
      parseEvent('keys.events.changed', { scope: 'tier', tier: 'pro', reason: 'tier_updated', at }),
    ).toBeDefined();
    expect(parseEvent('keys.events.deleted', { keyId, owner, hashes, at })).toBeDefined();
    expect(parseEvent('keys.events.quota_exhausted', { owner, period: 'lifetime', at })).toBeDefined();
    expect(parseEvent('keys.touch', { touches: [{ keyId, at }] })).toBeDefined();
    expect(parseEvent('pricing.events.changed', { kind: 'model', name: 'gpt-4o', at })).toBeDefined();
  });

  it('refuses anything else: wrong shapes, null, unknown subjects', () => {
    for (const payload of [null, 'x', [], {}, { scope: 'key' }, { scope: 'owner', owner: null }])
      expect(parseEvent('keys.events.changed', payload)).toBeUndefined();
    expect(parseEvent('keys.events.deleted', { keyId, owner, hashes: ['not-a-hash'], at })).toBeUndefined();
    expect(parseEvent('keys.events.quota_exhausted', { owner, period: '2026-13', at })).toBeUndefined();
    expect(parseEvent('keys.events.unknown', { owner, at })).toBeUndefined();
  });
});
