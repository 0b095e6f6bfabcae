import { MAX_GROUP_ORGANIZATIONS, rolesFromGroups } from './group-memberships.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('rolesFromGroups', () => {
  it('reads <prefix><organization id>:<role>, the highest role per organization', () => {
    const roles = rolesFromGroups(
      [`gw-org:${A}:member`, `gw-org:${A}:admin`, `gw-org:${B}:member`, 'demo-users'],
      'gw-org:',
    );
    expect([...roles]).toEqual([
      [A, 'admin'],
      [B, 'member'],
    ]);
  });

  it('ignores other prefixes, unknown roles, malformed ids and extra parts', () => {
    const roles = rolesFromGroups(
      [
        `other:${A}:owner`,
        `gw-org:${A}:superuser`,
        'gw-org:not-a-uuid:owner',
        `gw-org:${A}:owner:x`,
        `gw-org:${A}`,
      ],
      'gw-org:',
    );
    expect(roles.size).toBe(0);
  });

  it('takes at most MAX_GROUP_ORGANIZATIONS organizations from one claim', () => {
    const many = Array.from(
      { length: MAX_GROUP_ORGANIZATIONS + 50 },
      (_, i) => `p:${String(i).padStart(8, '0')}-0000-4000-8000-000000000000:member`,
    );
    expect(rolesFromGroups(many, 'p:').size).toBe(MAX_GROUP_ORGANIZATIONS);
  });
});
