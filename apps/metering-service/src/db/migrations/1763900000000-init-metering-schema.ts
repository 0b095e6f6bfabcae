import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Schema `metering`: one row per request (unique request id) and running totals per key and owner. */
export class InitMeteringSchema1763900000000 implements MigrationInterface {
  name = 'InitMeteringSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS metering`);
    await q.query(`
      CREATE TABLE metering.usage_records (
        request_id text PRIMARY KEY,
        key_id uuid NOT NULL,
        owner_type text NOT NULL,
        owner_id uuid NOT NULL,
        pricing_group text NOT NULL,
        model text NOT NULL,
        endpoint text NOT NULL,
        upstream text,
        prompt_tokens integer NOT NULL CHECK (prompt_tokens >= 0),
        completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
        status integer NOT NULL,
        stream boolean NOT NULL,
        estimated boolean NOT NULL,
        latency_ms integer NOT NULL,
        at timestamptz(3) NOT NULL,
        recorded_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX usage_records_key_at_idx ON metering.usage_records (key_id, at)`);
    await q.query(
      `CREATE INDEX usage_records_owner_at_idx ON metering.usage_records (owner_type, owner_id, at)`,
    );
    // scope: 'key' (scope_id = key id) or 'account'/'organization' (the owner); period: 'lifetime' or UTC 'YYYY-MM'.
    await q.query(`
      CREATE TABLE metering.usage_totals (
        scope text NOT NULL,
        scope_id uuid NOT NULL,
        period text NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        prompt_tokens bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, scope_id, period)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA metering CASCADE`);
  }
}
