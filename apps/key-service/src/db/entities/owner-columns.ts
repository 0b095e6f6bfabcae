// Columns shared by the two kinds of owner (accounts and organizations).
import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OwnerStatus } from '@gw/contracts';

export abstract class OwnerEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  tier!: string;

  /** Micro-credits; null = no owner-wide limit. */
  @Column({ type: 'bigint', name: 'credit_limit', nullable: true })
  creditLimit!: string | null;

  @Column({ type: 'text' })
  status!: OwnerStatus;

  /** Pricing groups the operator lets this owner put its keys in (besides a key's own group). */
  @Column({ type: 'text', array: true, name: 'pricing_groups', default: () => "'{}'" })
  pricingGroups!: string[];

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}
