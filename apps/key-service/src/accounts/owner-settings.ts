// Tier and credit-limit input shared by accounts and organizations.
import { creditsToMicros, fail, ok, type OwnerStatus, type Result } from '@gw/contracts';
import type { DataSource } from 'typeorm';
import { PricingGroupEntity, TierEntity } from '../db/entities/index.js';
import type { OwnerEntity } from '../db/entities/owner-columns.js';

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

interface OwnerInput {
  name?: string;
  tier?: string;
  creditLimit?: number | null;
  status?: OwnerStatus;
  pricingGroups?: string[];
}

/** Tier, pricing groups and credit limit of create/update input, checked; the limit as its column value. */
export async function checkOwnerInput(
  ds: DataSource,
  input: OwnerInput,
): Promise<Result<string | null | undefined>> {
  const tier = await checkTier(ds, input.tier);
  if (!tier.ok) return tier;
  const groups = await checkPricingGroups(ds, input.pricingGroups);
  if (!groups.ok) return groups;
  return creditLimitColumn(input.creditLimit);
}

/** The columns of a new account or organization. */
export const newOwnerColumns = (
  input: OwnerInput & { name: string; tier: string },
  limit: string | null | undefined,
) => ({
  name: input.name,
  tier: input.tier,
  creditLimit: limit ?? null,
  status: 'active' as const,
  pricingGroups: input.pricingGroups ?? [],
});

/** Applies update input to an owner row (`limit`: the checked credit-limit column, undefined = unchanged). */
export function applyOwnerInput(row: OwnerEntity, input: OwnerInput, limit: string | null | undefined) {
  if (input.name !== undefined) row.name = input.name;
  if (input.tier !== undefined) row.tier = input.tier;
  if (input.status !== undefined) row.status = input.status;
  if (limit !== undefined) row.creditLimit = limit;
  if (input.pricingGroups !== undefined) row.pricingGroups = input.pricingGroups;
}

/** The owner fields the audit log records when they change. */
export const AUDITED_OWNER_FIELDS = ['name', 'tier', 'creditLimit', 'status', 'pricingGroups'] as const;
