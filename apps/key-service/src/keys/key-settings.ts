// Converts the settings part of create/update input into column values, validating what needs the database.
import { creditsToMicros, fail, ok, type QuotaInput, type Result } from '@gw/contracts';
import type { ApiKeyEntity } from '../db/entities/index.js';

export function quotaColumns(
  quota: QuotaInput,
): Result<Pick<ApiKeyEntity, 'quotaType' | 'quotaLimit' | 'exhaustedPeriod'>> {
  if (quota.type === 'unlimited')
    return ok({ quotaType: 'unlimited', quotaLimit: null, exhaustedPeriod: null });
  const micros = creditsToMicros(quota.limit);
  if (micros === undefined || micros === 0) {
    return fail(
      'invalid_request',
      'Invalid quota.limit: at most 6 decimal places, above zero.',
      'quota.limit',
    );
  }
  // A changed quota starts un-exhausted; metering re-evaluates it against the spend it knows.
  return ok({ quotaType: quota.type, quotaLimit: String(micros), exhaustedPeriod: null });
}

/** Postgres unique violation on the per-owner name index. */
export function isDuplicateName(err: unknown): boolean {
  const e = err as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && constraint === 'api_keys_owner_name_uq';
}
