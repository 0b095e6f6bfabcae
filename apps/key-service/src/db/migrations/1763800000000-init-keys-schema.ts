import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Schema `keys`, and the defaults an operator can change afterwards through the REST API. */
export class InitKeysSchema1763800000000 implements MigrationInterface {
  name = 'InitKeysSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS keys`);
    await q.query(`
      CREATE TABLE keys.tiers (
        name text PRIMARY KEY,
        rpm integer CHECK (rpm IS NULL OR rpm > 0),
        priority boolean NOT NULL DEFAULT false,
        models text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE keys.pricing_groups (
        name text PRIMARY KEY,
        multiplier_ppm bigint NOT NULL CHECK (multiplier_ppm > 0),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE keys.model_prices (
        model text PRIMARY KEY,
        input_price bigint NOT NULL CHECK (input_price >= 0),
        output_price bigint NOT NULL CHECK (output_price >= 0),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    for (const table of ['accounts', 'organizations']) {
      await q.query(`
        CREATE TABLE keys.${table} (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          name text NOT NULL,
          tier text NOT NULL REFERENCES keys.tiers(name),
          credit_limit bigint CHECK (credit_limit IS NULL OR credit_limit >= 0),
          status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
          created_at timestamptz(3) NOT NULL DEFAULT now(),
          updated_at timestamptz(3) NOT NULL DEFAULT now()
        )`);
    }
    await q.query(`
      CREATE TABLE keys.memberships (
        organization_id uuid NOT NULL REFERENCES keys.organizations(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES keys.accounts(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, account_id)
      )`);
    await q.query(`CREATE INDEX memberships_account_idx ON keys.memberships (account_id)`);
    await q.query(`
      CREATE TABLE keys.api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        hash char(64) NOT NULL,
        last4 text NOT NULL,
        name text NOT NULL,
        owner_type text NOT NULL CHECK (owner_type IN ('account', 'organization')),
        owner_id uuid NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        expires_at timestamptz(3),
        permissions text[] NOT NULL,
        allowed_models text[] NOT NULL DEFAULT '{}',
        ip_allowlist text[] NOT NULL DEFAULT '{}',
        quota_type text NOT NULL CHECK (quota_type IN ('unlimited', 'monthly', 'total')),
        quota_limit bigint CHECK (quota_limit IS NULL OR quota_limit > 0),
        exhausted_period text,
        group_name text NOT NULL REFERENCES keys.pricing_groups(name),
        rpm integer,
        tpm integer,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3),
        deleted_at timestamptz(3),
        CHECK ((quota_type = 'unlimited') = (quota_limit IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_hash_uq ON keys.api_keys (hash)`);
    await q.query(`
      CREATE INDEX api_keys_owner_page_idx ON keys.api_keys (owner_type, owner_id, created_at DESC, id DESC)
      WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE UNIQUE INDEX api_keys_owner_name_uq ON keys.api_keys (owner_type, owner_id, name)
      WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE keys.retired_secrets (
        hash char(64) PRIMARY KEY,
        key_id uuid NOT NULL REFERENCES keys.api_keys(id),
        valid_until timestamptz(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX retired_secrets_key_idx ON keys.retired_secrets (key_id)`);

    // Defaults (DESIGN "Keys": free 10 RPM, basic 50, pro 100, enterprise unlimited with priority).
    await q.query(`
      INSERT INTO keys.tiers (name, rpm, priority, models) VALUES
        ('free', 10, false, ARRAY['gpt-4o-mini', 'text-embedding-3-small']),
        ('basic', 50, false, ARRAY['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']),
        ('pro', 100, false, ARRAY['*']),
        ('enterprise', NULL, true, ARRAY['*'])
      ON CONFLICT DO NOTHING`);
    await q.query(
      `INSERT INTO keys.pricing_groups (name, multiplier_ppm) VALUES ('default', 1000000) ON CONFLICT DO NOTHING`,
    );
    // Micro-credits per 1M tokens (1 credit = 1,000,000 micro-credits).
    await q.query(`
      INSERT INTO keys.model_prices (model, input_price, output_price) VALUES
        ('gpt-4o-mini', 150000, 600000),
        ('gpt-4o', 2500000, 10000000),
        ('text-embedding-3-small', 20000, 0)
      ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA keys CASCADE`);
  }
}
