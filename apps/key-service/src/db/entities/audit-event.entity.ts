import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { OwnerType } from '@gw/contracts';

/** One recorded change (append-only: the table refuses UPDATE and DELETE). Never a secret or a hash. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'timestamptz', precision: 3, insert: false })
  at!: Date;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text', name: 'actor_type' })
  actorType!: 'operator' | 'key' | 'account' | 'internal';

  @Column({ type: 'text', name: 'actor_id', nullable: true })
  actorId!: string | null;

  @Column({ type: 'text' })
  via!: 'rest' | 'nats' | 'cli' | 'system';

  @Column({ type: 'text', name: 'target_type' })
  targetType!: string;

  @Column({ type: 'text', name: 'target_id' })
  targetId!: string;

  @Column({ type: 'text', name: 'owner_type', nullable: true })
  ownerType!: OwnerType | null;

  @Column({ type: 'uuid', name: 'owner_id', nullable: true })
  ownerId!: string | null;

  @Column({ type: 'jsonb' })
  // {field: {before, after}}; typed loosely because TypeORM's insert types cannot hold unknown values.
  changes!: Record<string, object>;

  @Column({ type: 'text', name: 'request_id', nullable: true })
  requestId!: string | null;

  @Column({ type: 'text', name: 'client_ip', nullable: true })
  clientIp!: string | null;
}
