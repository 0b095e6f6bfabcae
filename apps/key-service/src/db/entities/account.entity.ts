import { Entity } from 'typeorm';
import { OwnerEntity } from './owner-columns.js';

@Entity({ name: 'accounts' })
export class AccountEntity extends OwnerEntity {}
