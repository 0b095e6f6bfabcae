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
   * Micro-credits held for a key's requests that started in one bucket of HOLD_BUCKET_MS (reserved by a
   * gateway, released by metering when it counts their real cost, or gone with the key's expiry).
   */
  heldKey: (tag: string, keyId: string, bucket: number) => `hd:${tag}:k:${keyId}:${bucket}`,
  /** The same for all of an owner's requests that started in the bucket. */
  heldOwner: (tag: string, bucket: number) => `hd:${tag}:o:${bucket}`,
  /**
   * A random id the first hold of an owner's bucket sets (with the holds' expiry). Usage events carry it and
   * metering releases only into the same generation: holds Redis lost are never released from new ones.
   */
  holdGeneration: (tag: string, bucket: number) => `hd:${tag}:g:${bucket}`,
  /** Marks one call of metering's counter update as done, so a client's resend of it changes nothing. */
  applied: (tag: string, callId: string) => `ap:${tag}:${callId}`,
  /** Set by metering once the counters are rebuilt from Postgres; missing = Redis lost them. */
  rebuilt: 'sp:rebuilt',
} as const;

/**
 * Holds are kept per time bucket, not per request: a request adds its worst case to its bucket's key and owner
 * counters, and metering subtracts it when it counts the request (the usage event names the bucket). A bucket
 * expires QUOTA_RESERVATION_TTL_MS after its end, which frees the holds of requests that died. Every gateway
 * and metering must use the same width: it names the keys.
 */
export const HOLD_BUCKET_MS = 300_000;

/** The bucket a request starting at `nowMs` holds in. */
export const holdBucket = (nowMs: number) => Math.floor(nowMs / HOLD_BUCKET_MS);

/** How many buckets up to the current one a quota check reads so that every hold younger than `ttlMs` is
 * counted (it reads the next one too). */
export const holdBucketsRead = (ttlMs: number) => Math.ceil(ttlMs / HOLD_BUCKET_MS) + 1;

/** The period a key's quota counts in: its lifetime, or the UTC month of `month`. */
export const quotaPeriod = (type: 'monthly' | 'total', month: string) =>
  type === 'total' ? 'lifetime' : month;
