// Tier and credit-limit input shared by accounts and organizations.
import { creditsToMicros, fail, ok, type Result } from '@gw/contracts';
import type { DataSource } from 'typeorm';
import { PricingGroupEntity, TierEntity } from '../db/entities/index.js';

export async function checkTier(ds: DataSource, tier: string | undefined): Promise<Result<void>> {
  if (tier === undefined || (await ds.getRepository(TierEntity).existsBy({ name: tier })))
    return ok(undefined);
  return fail('invalid_request', `Unknown tier "${tier}".`, 'tier');
}

/** undefined = not given; null = remove the limit; otherwise micro-credits as a bigint string. */
export function creditLimitColumn(limit: number | null | undefined): Result<string | null | undefined> {
  if (limit === undefined || limit === null) return ok(limit);
  const micros = creditsToMicros(limit);
  return micros === undefined
    ? fail('invalid_request', 'Invalid creditLimit: at most 6 decimal places.', 'creditLimit')
    : ok(String(micros));
}

export async function checkPricingGroups(
  ds: DataSource,
  groups: string[] | undefined,
): Promise<Result<void>> {
  for (const name of groups ?? []) {
    if (!(await ds.getRepository(PricingGroupEntity).existsBy({ name })))
      return fail('invalid_request', `Unknown pricing group "${name}".`, 'pricingGroups');
  }
  return ok(undefined);
}

/** The owner fields the audit log records when they change. */
export const AUDITED_OWNER_FIELDS = ['name', 'tier', 'creditLimit', 'status', 'pricingGroups'] as const;
