import { Column, Entity } from 'typeorm';
import { OwnerEntity } from './owner-columns.js';

@Entity({ name: 'organizations' })
export class OrganizationEntity extends OwnerEntity {
  /** Roles may come from the identity provider's groups (OIDC_ORGANIZATION_GROUP_PREFIX): the operator's opt-in. */
  @Column({ type: 'boolean', name: 'group_roles', default: false })
  groupRoles!: boolean;
}
