import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'pricing_groups' })
export class PricingGroupEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  /** Parts per million: 1.0 = 1,000,000. */
  @Column({ type: 'bigint', name: 'multiplier_ppm' })
  multiplierPpm!: string;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'model_prices' })
export class ModelPriceEntity {
  @PrimaryColumn({ type: 'text' })
  model!: string;

  /** Micro-credits per 1M prompt tokens. */
  @Column({ type: 'bigint', name: 'input_price' })
  inputPrice!: string;

  /** Micro-credits per 1M completion tokens. */
  @Column({ type: 'bigint', name: 'output_price' })
  outputPrice!: string;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'tiers' })
export class TierEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  /** null = unlimited. */
  @Column({ type: 'integer', nullable: true })
  rpm!: number | null;

  @Column({ type: 'boolean' })
  priority!: boolean;

  /** '*' = every model. */
  @Column({ type: 'text', array: true })
  models!: string[];

  @UpdateDateColumn({ type: 'timestamptz', precision: 3, name: 'updated_at' })
  updatedAt!: Date;
}
