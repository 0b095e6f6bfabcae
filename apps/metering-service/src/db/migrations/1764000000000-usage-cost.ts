import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices: each record's cost in micro-credits and whether its model had a price; totals of both, and the
 * owner of every totals row (a key's spend counter in Redis lives under its owner's hash tag).
 */
export class UsageCost1764000000000 implements MigrationInterface {
  name = 'UsageCost1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE metering.usage_records
        ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
        ADD COLUMN unpriced boolean NOT NULL DEFAULT false`);
    await q.query(`
      ALTER TABLE metering.usage_totals
        ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0,
        ADD COLUMN unpriced_requests bigint NOT NULL DEFAULT 0,
        ADD COLUMN owner_type text,
        ADD COLUMN owner_id uuid`);
    await q.query(`
      UPDATE metering.usage_totals t SET owner_type = t.scope, owner_id = t.scope_id WHERE t.scope <> 'key'`);
    await q.query(`
      UPDATE metering.usage_totals t SET owner_type = r.owner_type, owner_id = r.owner_id
      FROM (SELECT DISTINCT ON (key_id) key_id, owner_type, owner_id FROM metering.usage_records) r
      WHERE t.scope = 'key' AND t.scope_id = r.key_id`);
    // Unpriced records are found again when an operator adds the missing price.
    await q.query(`CREATE INDEX usage_records_unpriced_idx ON metering.usage_records (model) WHERE unpriced`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX metering.usage_records_unpriced_idx`);
    await q.query(
      `ALTER TABLE metering.usage_totals DROP COLUMN cost_micros, DROP COLUMN unpriced_requests, DROP COLUMN owner_type, DROP COLUMN owner_id`,
    );
    await q.query(`ALTER TABLE metering.usage_records DROP COLUMN cost_micros, DROP COLUMN unpriced`);
  }
}
