import { type AccountView, microsToCredits } from '@gw/contracts';
import type { OwnerEntity } from '../db/entities/owner-columns.js';

export function toOwnerView(o: OwnerEntity): AccountView {
  return {
    id: o.id,
    name: o.name,
    tier: o.tier,
    creditLimit: o.creditLimit === null ? null : microsToCredits(Number(o.creditLimit)),
    status: o.status,
    pricingGroups: o.pricingGroups,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}
