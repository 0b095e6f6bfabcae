import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue #12: the people who sign in to the console, by their provider's issuer and subject, and their account. */
export class SignInIdentities1765000000000 implements MigrationInterface {
  name = 'SignInIdentities1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE keys.sign_in_identities (
        issuer text NOT NULL,
        subject text NOT NULL,
        account_id uuid NOT NULL REFERENCES keys.accounts(id) ON DELETE CASCADE,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_sign_in_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (issuer, subject)
      )`);
    await q.query(`CREATE INDEX sign_in_identities_account ON keys.sign_in_identities (account_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE keys.sign_in_identities`);
  }
}
