// "A key creates or edits keys only within itself": the settings of a key another key makes or changes
// must be at most the acting key's own. Pure, so every rule has a unit test.
import { type IpRange, parseIpRange, type Permission, type QuotaType } from '@gw/contracts';

/** The settings that bound what a key may spend, call or reach. */
export interface KeyBounds {
  permissions: Permission[];
  allowedModels: string[];
  ipAllowlist: string[];
  expiresAt: Date | null;
  quotaType: QuotaType;
  /** Micro-credits; null when unlimited. */
  quotaLimit: string | null;
  rpm: number | null;
  tpm: number | null;
}

export interface BoundsViolation {
  param: keyof KeyBounds | 'quota';
  message: string;
}

const grants = (held: Permission[], p: Permission) => held.includes('admin') || held.includes(p);

/** An IP range inside another: same family, at least as long a prefix, same network bits. */
function rangeWithin(inner: IpRange, outer: IpRange): boolean {
  if (inner.version !== outer.version || inner.prefix < outer.prefix) return false;
  const width = BigInt(inner.version === 4 ? 32 : 128);
  const shift = width - BigInt(outer.prefix);
  return inner.network >> shift === outer.network >> shift;
}

/** The first setting of `target` that exceeds `holder`'s, or null when it is within. */
export function exceedsBounds(holder: KeyBounds, target: KeyBounds): BoundsViolation | null {
  if (!target.permissions.every((p) => grants(holder.permissions, p)))
    return { param: 'permissions', message: 'A key cannot grant permissions it lacks.' };
  // An empty list means "every model of the tier": only a holder with no list may give that.
  if (holder.allowedModels.length) {
    const mine = new Set(holder.allowedModels);
    if (!target.allowedModels.length || !target.allowedModels.every((m) => mine.has(m)))
      return { param: 'allowedModels', message: "allowedModels must be within the acting key's models." };
  }
  if (holder.ipAllowlist.length) {
    const outer = holder.ipAllowlist.map(parseIpRange).filter((r): r is IpRange => !!r);
    const inner = target.ipAllowlist.map(parseIpRange);
    if (!inner.length || !inner.every((r) => !!r && outer.some((o) => rangeWithin(r, o))))
      return { param: 'ipAllowlist', message: "ipAllowlist must be within the acting key's allow-list." };
  }
  if (holder.expiresAt && (!target.expiresAt || target.expiresAt.getTime() > holder.expiresAt.getTime()))
    return { param: 'expiresAt', message: "expiresAt must not be later than the acting key's." };
  const quota = quotaExceeds(holder, target);
  if (quota) return { param: 'quota', message: quota };
  for (const field of ['rpm', 'tpm'] as const) {
    const cap = holder[field];
    const value = target[field];
    if (cap !== null && (value === null || value > cap))
      return { param: field, message: `${field} must be at most the acting key's (${cap}).` };
  }
  return null;
}

/**
 * Unlimited holds anything. A total quota holds only a total quota no larger (a monthly one would refill).
 * A monthly quota holds a monthly or a total quota no larger.
 */
function quotaExceeds(holder: KeyBounds, target: KeyBounds): string | null {
  if (holder.quotaType === 'unlimited') return null;
  const cap = BigInt(holder.quotaLimit!);
  const allowedTypes: QuotaType[] = holder.quotaType === 'total' ? ['total'] : ['monthly', 'total'];
  if (
    !allowedTypes.includes(target.quotaType) ||
    target.quotaLimit === null ||
    BigInt(target.quotaLimit) > cap
  )
    return `quota must be a ${allowedTypes.join(' or ')} quota of at most the acting key's limit.`;
  return null;
}

/**
 * A key with limits of its own (quota, rpm, tpm) cannot make keys: each new key would have fresh counters,
 * so deleting and re-creating children would spend past the maker's quota and multiply its rate.
 */
export function hasOwnLimits(holder: KeyBounds): boolean {
  return holder.quotaType !== 'unlimited' || holder.rpm !== null || holder.tpm !== null;
}

/** Any restriction at all: such a key acts only for its own owner (never an org it administers). */
export function isRestricted(holder: KeyBounds): boolean {
  return (
    hasOwnLimits(holder) ||
    holder.allowedModels.length > 0 ||
    holder.ipAllowlist.length > 0 ||
    holder.expiresAt !== null
  );
}
