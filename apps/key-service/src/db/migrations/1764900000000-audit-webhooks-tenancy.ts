import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #9: pricing groups an owner may choose from, the append-only audit log, webhooks and their
 * delivery outbox.
 */
export class AuditWebhooksTenancy1764900000000 implements MigrationInterface {
  name = 'AuditWebhooksTenancy1764900000000';

  async up(q: QueryRunner): Promise<void> {
    // Groups the operator allowed an owner's keys to be put in by the owner itself (besides a key's own).
    for (const table of ['accounts', 'organizations']) {
      await q.query(`ALTER TABLE keys.${table} ADD COLUMN pricing_groups text[] NOT NULL DEFAULT '{}'`);
    }
    // The expiry a key.expiring webhook was sent for: changing expiresAt makes it due again.
    await q.query(`ALTER TABLE keys.api_keys ADD COLUMN expiring_notified_for timestamptz(3)`);

    await q.query(`
      CREATE TABLE keys.audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        action text NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('operator', 'key', 'account', 'internal')),
        actor_id text,
        via text NOT NULL CHECK (via IN ('rest', 'nats', 'cli', 'system')),
        target_type text NOT NULL,
        target_id text NOT NULL,
        owner_type text CHECK (owner_type IN ('account', 'organization')),
        owner_id uuid,
        changes jsonb NOT NULL DEFAULT '{}',
        request_id text,
        client_ip text
      )`);
    await q.query(`CREATE INDEX audit_events_page_idx ON keys.audit_events (at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX audit_events_owner_idx ON keys.audit_events (owner_type, owner_id, at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX audit_events_target_idx ON keys.audit_events (target_id, at DESC, id DESC)`);
    // Append-only in the database itself, whatever the code does.
    await q.query(`
      CREATE FUNCTION keys.audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'keys.audit_events is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON keys.audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION keys.audit_events_append_only()`);

    await q.query(`
      CREATE TABLE keys.webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_type text NOT NULL CHECK (owner_type IN ('account', 'organization')),
        owner_id uuid NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        secret_ciphertext text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX webhooks_owner_idx ON keys.webhooks (owner_type, owner_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE keys.webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES keys.webhooks(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        dedupe_key text,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        lease_until timestamptz(3),
        last_status integer,
        last_error text,
        last_latency_ms integer,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at timestamptz(3)
      )`);
    await q.query(`
      CREATE INDEX webhook_deliveries_due_idx ON keys.webhook_deliveries (next_attempt_at)
      WHERE status = 'pending'`);
    await q.query(
      `CREATE INDEX webhook_deliveries_page_idx ON keys.webhook_deliveries (webhook_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE UNIQUE INDEX webhook_deliveries_dedupe_uq ON keys.webhook_deliveries (webhook_id, dedupe_key)
      WHERE dedupe_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE keys.webhook_deliveries`);
    await q.query(`DROP TABLE keys.webhooks`);
    await q.query(`DROP TABLE keys.audit_events`);
    await q.query(`DROP FUNCTION keys.audit_events_append_only()`);
    await q.query(`ALTER TABLE keys.api_keys DROP COLUMN expiring_notified_for`);
    for (const table of ['accounts', 'organizations']) {
      await q.query(`ALTER TABLE keys.${table} DROP COLUMN pricing_groups`);
    }
  }
}
