import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { OrgRole } from '@gw/contracts';

@Entity({ name: 'memberships' })
export class MembershipEntity {
  @PrimaryColumn({ type: 'uuid', name: 'organization_id' })
  organizationId!: string;

  @PrimaryColumn({ type: 'uuid', name: 'account_id' })
  accountId!: string;

  @Column({ type: 'text' })
  role!: OrgRole;

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;
}
