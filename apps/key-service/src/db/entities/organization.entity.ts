import { Entity } from 'typeorm';
import { OwnerEntity } from './owner-columns.js';

@Entity({ name: 'organizations' })
export class OrganizationEntity extends OwnerEntity {}
