import { type ErrorCode, ipInRanges } from '@gw/contracts';
import { type AccessContext, checkKey, modelAllowed, type Principal } from './principal.js';

/** Every check of the hot path that needs no I/O, in DESIGN's order; null when the request may proceed. */
export function checkAccess(p: Principal, ctx: AccessContext, nowMs: number): ErrorCode | null {
  const keyError = checkKey(p, nowMs);
  if (keyError) return keyError;
  if (ctx.clientIp !== undefined && p.ipRanges.length > 0 && !ipInRanges(ctx.clientIp, p.ipRanges)) {
    return 'ip_not_allowed';
  }
  if (ctx.permission && !p.permissions.has(ctx.permission) && !p.permissions.has('admin')) {
    return 'insufficient_permissions';
  }
  if (ctx.model !== undefined && !modelAllowed(p, ctx.model)) return 'model_not_allowed';
  return null;
}
