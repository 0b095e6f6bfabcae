import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The hash of a secret replaced by regenerate: valid until `validUntil` (grace period), then revoked. */
@Entity({ name: 'retired_secrets' })
export class RetiredSecretEntity {
  @PrimaryColumn({ type: 'char', length: 64 })
  hash!: string;

  @Column({ type: 'uuid', name: 'key_id' })
  keyId!: string;

  @Column({ type: 'timestamptz', precision: 3, name: 'valid_until' })
  validUntil!: Date;
}
