import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OwnerType, Permission, QuotaType } from '@gw/contracts';

/** One API key. Only the SHA-256 of the secret is stored, never the secret. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;

  /** Last four characters of the secret, for the masked form. */
  @Column({ type: 'text' })
  last4!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', name: 'owner_type' })
  ownerType!: OwnerType;

  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ type: 'timestamptz', precision: 3, name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'text', array: true })
  permissions!: Permission[];

  @Column({ type: 'text', array: true, name: 'allowed_models' })
  allowedModels!: string[];

  @Column({ type: 'text', array: true, name: 'ip_allowlist' })
  ipAllowlist!: string[];

  @Column({ type: 'text', name: 'quota_type' })
  quotaType!: QuotaType;

  /** Micro-credits. */
  @Column({ type: 'bigint', name: 'quota_limit', nullable: true })
  quotaLimit!: string | null;

  /** Set from keys.events.quota_exhausted: 'lifetime' or the UTC month it was exhausted in. */
  @Column({ type: 'text', name: 'exhausted_period', nullable: true })
  exhaustedPeriod!: string | null;

  @Column({ type: 'text', name: 'group_name' })
  group!: string;

  @Column({ type: 'integer', nullable: true })
  rpm!: number | null;

  @Column({ type: 'integer', nullable: true })
  tpm!: number | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  /** The expiry a key.expiring webhook went out for; a changed expiresAt makes the notice due again. */
  @Column({ type: 'timestamptz', precision: 3, name: 'expiring_notified_for', nullable: true })
  expiringNotifiedFor!: Date | null;

  /** Deleted keys stay as tombstones: their hash answers key_revoked, usage history keeps its key id. */
  @Column({ type: 'timestamptz', precision: 3, name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;
}
