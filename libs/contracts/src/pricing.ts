import { z } from 'zod';
import { ModelName } from './common.js';

/** Prices are integer micro-credits per 1M tokens. */
const PricePerMillion = z.number().int().min(0).max(1_000_000_000_000);

export const ModelPriceInput = z.strictObject({ inputPrice: PricePerMillion, outputPrice: PricePerMillion });
export type ModelPriceInput = z.infer<typeof ModelPriceInput>;
export const ModelPriceView = ModelPriceInput.extend({ model: z.string(), updatedAt: z.string() });
export type ModelPriceView = z.infer<typeof ModelPriceView>;

export const PricingGroupInput = z.strictObject({
  multiplier: z
    .number()
    .positive()
    .max(1000)
    .refine((m) => Number.isInteger(Math.round(m * 1e6)) && Math.abs(m * 1e6 - Math.round(m * 1e6)) < 1e-6, {
      message: 'at most 6 decimal places',
    }),
});
export type PricingGroupInput = z.infer<typeof PricingGroupInput>;
export const PricingGroupView = z.object({ name: z.string(), multiplier: z.number(), updatedAt: z.string() });
export type PricingGroupView = z.infer<typeof PricingGroupView>;

/** `*` in `models` means every model the gateway serves. `rpm: null` means unlimited. */
export const TierInput = z.strictObject({
  rpm: z.number().int().min(1).max(10_000_000).nullable(),
  priority: z.boolean().default(false),
  models: z
    .array(z.union([z.literal('*'), ModelName]))
    .max(500)
    .refine((a) => new Set(a).size === a.length, 'must not repeat entries'),
});
export type TierInput = z.infer<typeof TierInput>;
export const TierView = z.object({
  name: z.string(),
  rpm: z.number().int().nullable(),
  priority: z.boolean(),
  models: z.array(z.string()),
  updatedAt: z.string(),
});
export type TierView = z.infer<typeof TierView>;
