import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OwnerType } from '@gw/contracts';

/** A subscriber of an owner's key and quota events. The signing secret is stored encrypted (secret-box). */
@Entity({ name: 'webhooks' })
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', name: 'owner_type' })
  ownerType!: OwnerType;

  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ type: 'text', name: 'secret_ciphertext' })
  secretCiphertext!: string;

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}

/** One message to one webhook: the outbox row its sender works from, and the record of its attempts. */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  /** Also the `webhook-id` header: the same across retries, so receivers can deduplicate. */
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid', name: 'webhook_id' })
  webhookId!: string;

  @Column({ type: 'text', name: 'event_type' })
  eventType!: string;

  /** The exact JSON body sent: {type, timestamp, data}. */
  @Column({ type: 'jsonb' })
  payload!: { type: string; timestamp: string; data: unknown };

  @Column({ type: 'text', name: 'dedupe_key', nullable: true })
  dedupeKey!: string | null;

  @Column({ type: 'text' })
  status!: 'pending' | 'delivered' | 'failed';

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ type: 'timestamptz', precision: 3, name: 'next_attempt_at' })
  nextAttemptAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, name: 'lease_until', nullable: true })
  leaseUntil!: Date | null;

  @Column({ type: 'integer', name: 'last_status', nullable: true })
  lastStatus!: number | null;

  @Column({ type: 'text', name: 'last_error', nullable: true })
  lastError!: string | null;

  @Column({ type: 'integer', name: 'last_latency_ms', nullable: true })
  lastLatencyMs!: number | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, name: 'delivered_at', nullable: true })
  deliveredAt!: Date | null;
}
