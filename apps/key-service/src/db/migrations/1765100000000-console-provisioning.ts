import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #12: identities the operator links before a person's first sign-in (never signed in yet: no
 * last_sign_in_at), and memberships that come from the provider's groups claim (kept in step at each sign-in,
 * in the organizations the operator opted in) told apart from those made by hand.
 */
export class ConsoleProvisioning1765100000000 implements MigrationInterface {
  name = 'ConsoleProvisioning1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE keys.sign_in_identities
      ALTER COLUMN last_sign_in_at DROP NOT NULL,
      ALTER COLUMN last_sign_in_at DROP DEFAULT`);
    await q.query(`ALTER TABLE keys.memberships
      ADD COLUMN source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'groups'))`);
    // Each organization opts in to roles from groups (the operator's choice), none by default.
    await q.query(`ALTER TABLE keys.organizations ADD COLUMN group_roles boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE keys.organizations DROP COLUMN group_roles`);
    await q.query(`ALTER TABLE keys.memberships DROP COLUMN source`);
    await q.query(
      `UPDATE keys.sign_in_identities SET last_sign_in_at = created_at WHERE last_sign_in_at IS NULL`,
    );
    await q.query(`ALTER TABLE keys.sign_in_identities
      ALTER COLUMN last_sign_in_at SET NOT NULL,
      ALTER COLUMN last_sign_in_at SET DEFAULT now()`);
  }
}
