// Organization roles from the provider's groups claim (OIDC_ORGANIZATION_GROUP_PREFIX): a group named
// `<prefix><organization id>:<role>` makes the person that organization's owner, admin or member, in the
// organizations the operator opted in (group_roles). At each sign-in the memberships that came from groups
// are brought in step with the claim; memberships made (or changed) by hand are never touched, and an
// organization never loses its last owner this way.
import type { OrgRole } from '@gw/contracts';
import type { EntityManager } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.js';

const RANK: Record<OrgRole, number> = { member: 1, admin: 2, owner: 3 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A claim with thousands of groups costs one sign-in no more than this many organizations. */
export const MAX_GROUP_ORGANIZATIONS = 100;

/** The role per organization the groups give (the highest where several do); other groups are ignored. */
export function rolesFromGroups(groups: string[], prefix: string): Map<string, OrgRole> {
  const roles = new Map<string, OrgRole>();
  for (const group of groups) {
    if (!group.startsWith(prefix)) continue;
    const [org, role, ...rest] = group.slice(prefix.length).toLowerCase().split(':');
    if (rest.length || !UUID.test(org) || !(role in RANK)) continue;
    const current = roles.get(org);
    if (!current && roles.size >= MAX_GROUP_ORGANIZATIONS) continue;
    if (!current || RANK[role as OrgRole] > RANK[current]) roles.set(org, role as OrgRole);
  }
  return roles;
}

interface Row {
  role: OrgRole;
  source: 'manual' | 'groups';
}

const membershipOf = async (em: EntityManager, org: string, accountId: string) =>
  (
    (await em.query(
      `SELECT role, source FROM keys.memberships WHERE organization_id = $1 AND account_id = $2`,
      [org, accountId],
    )) as Row[]
  )[0];

/**
 * Adds, changes and removes the account's group-made memberships to match `wanted`, in `em`'s transaction, in
 * the organizations whose operator turned group roles on. Hand-made memberships are never touched.
 */
export async function syncGroupMemberships(
  em: EntityManager,
  audit: AuditLog,
  accountId: string,
  wanted: Map<string, OrgRole>,
): Promise<void> {
  const grouped = (await em.query(
    `SELECT organization_id FROM keys.memberships WHERE account_id = $1 AND source = 'groups'`,
    [accountId],
  )) as { organization_id: string }[];
  const orgs = new Set([...wanted.keys(), ...grouped.map((r) => r.organization_id)]);
  for (const org of [...orgs].sort()) {
    const role = wanted.get(org) ?? null;
    const seen = await membershipOf(em, org, accountId);
    if (seen?.source === 'manual' || (seen?.role ?? null) === role) continue;
    // The organization row locked, as for every membership change, and the membership read again under it:
    // a concurrent change by hand or the last-owner check cannot be raced.
    const [locked] = (await em.query(`SELECT group_roles FROM keys.organizations WHERE id = $1 FOR UPDATE`, [
      org,
    ])) as { group_roles: boolean }[];
    if (!locked?.group_roles) continue;
    const current = await membershipOf(em, org, accountId);
    if (current?.source === 'manual' || (current?.role ?? null) === role) continue;
    if (current?.role === 'owner' && role !== 'owner') {
      const [{ owners }] = (await em.query(
        `SELECT count(*)::int AS owners FROM keys.memberships WHERE organization_id = $1 AND role = 'owner'`,
        [org],
      )) as { owners: number }[];
      if (owners <= 1) continue;
    }
    if (role === null) {
      await em.query(`DELETE FROM keys.memberships WHERE organization_id = $1 AND account_id = $2`, [
        org,
        accountId,
      ]);
    } else {
      await em.query(
        `INSERT INTO keys.memberships (organization_id, account_id, role, source) VALUES ($1, $2, $3, 'groups')
           ON CONFLICT (organization_id, account_id) DO UPDATE SET role = EXCLUDED.role`,
        [org, accountId, role],
      );
    }
    await audit.record(
      em,
      { kind: 'system', service: 'key-service' },
      {
        action: !current ? 'membership.added' : role ? 'membership.updated' : 'membership.removed',
        target: { type: 'membership', id: `${org}:${accountId}` },
        owner: { type: 'organization', id: org },
        changes: {
          role: { ...(current ? { before: current.role } : {}), ...(role ? { after: role } : {}) },
          source: { after: 'groups' },
        },
      },
    );
  }
}
