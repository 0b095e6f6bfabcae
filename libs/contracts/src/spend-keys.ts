// Redis key names shared by the gateway (reservations, quota checks) and metering (spend counters).
// Every key of one owner carries the owner's hash tag, so a script touching them is valid on Redis Cluster.
import type { OwnerType } from './owners.js';

/** The hash tag of an owner: rate-limit, reservation and spend keys of the owner all use it. */
export const ownerTag = (type: OwnerType, id: string) => `{o:${type}:${id}}`;

export const SPEND_KEYS = {
  /** Spent micro-credits of a key in a period ('lifetime' or 'YYYY-MM'). */
  key: (tag: string, keyId: string, period: string) => `sp:${tag}:k:${keyId}:${period}`,
  /** Spent micro-credits of an owner in a period. */
  owner: (tag: string, period: string) => `sp:${tag}:o:${period}`,
  /**
   * Open reservations of an owner, a hash: `o` = the owner's total, `k:<keyId>` = a key's total,
   * `r:<requestId>` = "<micros>:<keyId>" for each request.
   */
  reservations: (tag: string) => `rv:${tag}`,
  /** When each open reservation of an owner expires: a sorted set of request ids scored by epoch ms. */
  reservationExpiry: (tag: string) => `rx:${tag}`,
  /** Set by metering once the counters are rebuilt from Postgres; missing = Redis lost them. */
  rebuilt: 'sp:rebuilt',
} as const;

/** The period a key's quota counts in: its lifetime, or the UTC month of `month`. */
export const quotaPeriod = (type: 'monthly' | 'total', month: string) =>
  type === 'total' ? 'lifetime' : month;
