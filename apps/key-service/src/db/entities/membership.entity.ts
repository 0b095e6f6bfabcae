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

  /** 'groups': kept in step with the provider's groups claim at each sign-in; 'manual': made by hand. */
  @Column({ type: 'text', default: 'manual' })
  source!: 'manual' | 'groups';

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;
}
