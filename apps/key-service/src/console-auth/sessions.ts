// Console sessions, server-side in Redis: the browser holds a random id in an HttpOnly cookie; Redis keys are
// its SHA-256 (a Redis dump opens no session) and each record carries a MAC under a key only key-service
// holds, so another service sharing that Redis cannot forge one. Records expire by themselves.
//
// A sign-in attempt (state, PKCE verifier, nonce) is stored nowhere: it travels sealed (AES-256-GCM) in an
// HttpOnly cookie of the browser that started it, so an unauthenticated /auth/login writes nothing
// server-side, and a callback reaching another browser has no attempt to finish. The provider spends each
// code once, so a callback cannot be replayed either.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiException, REDIS, type RedisClient } from '@gw/platform';
import { z } from 'zod';
import type { KeyServiceConfig } from '../config.js';
import { CONFIG } from '../tokens.js';

const MAX_ID_TOKEN = 8192;

const SessionRecordSchema = z.object({
  accountId: z.uuid(),
  operator: z.boolean(),
  /** Sent back by the console on every state-changing call (x-csrf-token). */
  csrf: z.string().min(32),
  issuer: z.string(),
  subject: z.string(),
  /** The provider's ID token: the hint that ends the provider's session too at sign-out. */
  idToken: z.string().max(MAX_ID_TOKEN).optional(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type SessionRecord = z.output<typeof SessionRecordSchema>;

const AttemptSchema = z.object({
  state: z.string(),
  verifier: z.string(),
  nonce: z.string(),
  exp: z.number(),
});
export type SignInAttempt = z.output<typeof AttemptSchema>;

export const SIGN_IN_TTL_MS = 10 * 60_000;
const accountIndex = (accountId: string) => `ks:account-sessions:${accountId}`;
/** When all of an account's sessions were last ended (ms since the epoch): older sessions are refused. */
const endedKey = (accountId: string) => `ks:account-sessions-ended:${accountId}`;
export const hash = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomId = () => randomBytes(32).toString('base64url');
/** Equal in constant time whatever either length (digests of equal size are compared). */
export const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Redis unreachable: the console cannot sign in or be recognised right now (503, not a 500). */
async function reachable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch {
    throw ApiException.of('service_unavailable', 'Console sessions cannot be checked right now.');
  }
}

@Injectable()
export class ConsoleSessions {
  private readonly sealKey: Buffer;
  private readonly macKey: Buffer;
  /** Secure cookies (https) get the __Host- prefix: no sibling host or path can plant or shadow them. */
  readonly secure: boolean;
  readonly cookies: { session: string; signIn: string };
  /** No session outlives this: an account's "ended at" time is kept as long. */
  private readonly maxTtlMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) config: KeyServiceConfig,
  ) {
    const auth = config.consoleAuth!;
    const derive = (info: string) =>
      Buffer.from(hkdfSync('sha256', auth.clientSecret, 'gw-console', info, 32));
    this.sealKey = derive('sign-in attempt');
    this.macKey = derive('session record');
    this.secure = new URL(auth.redirectUri).protocol === 'https:';
    this.maxTtlMs = auth.sessionTtlMs;
    const prefix = this.secure ? '__Host-' : '';
    this.cookies = { session: `${prefix}gw_session`, signIn: `${prefix}gw_signin` };
  }

  seal(attempt: SignInAttempt): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(attempt), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The attempt a cookie carries, if it is ours, intact and not expired. */
  open(sealed: string | undefined, now: number): SignInAttempt | undefined {
    if (!sealed || sealed.length > 2048) return undefined;
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const attempt = AttemptSchema.parse(JSON.parse(text));
      return attempt.exp > now ? attempt : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(text: string) {
    return createHmac('sha256', this.macKey).update(text).digest('base64url');
  }

  async create(record: Omit<SessionRecord, 'csrf' | 'createdAt' | 'expiresAt'>, ttlMs: number, now: Date) {
    const id = randomId();
    // A very large ID token (many groups) is not kept: sign-out then ends the provider's session without the
    // hint (the provider may ask the person to confirm).
    const { idToken, ...rest } = record;
    const session: SessionRecord = {
      ...rest,
      ...(idToken && idToken.length <= MAX_ID_TOKEN && { idToken }),
      csrf: randomId(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
    const text = JSON.stringify(session);
    await reachable(this.redis.set(`ks:session:${hash(id)}`, `${this.mac(text)}.${text}`, 'PX', ttlMs));
    // The account's index of its sessions, so all of them can be ended at once; it lives as long as its
    // longest session (NX gives a new set its first expiry, GT only ever extends it).
    const index = accountIndex(record.accountId);
    await reachable(
      Promise.all([
        this.redis.sadd(index, hash(id)),
        this.redis.pexpire(index, ttlMs, 'NX'),
        this.redis.pexpire(index, ttlMs, 'GT'),
      ]),
    );
    return { id, session };
  }

  /**
   * The session of this id; none when unknown, expired, not written by key-service, or begun before its
   * account's sessions were all ended.
   */
  async find(id: string): Promise<SessionRecord | undefined> {
    const stored = await reachable(this.redis.get(`ks:session:${hash(id)}`));
    const dot = stored?.indexOf('.') ?? -1;
    if (!stored || dot < 0) return undefined;
    const text = stored.slice(dot + 1);
    if (!sameSecret(stored.slice(0, dot), this.mac(text))) return undefined;
    const parsed = SessionRecordSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const endedAt = await reachable(this.redis.get(endedKey(parsed.data.accountId)));
    if (endedAt && Date.parse(parsed.data.createdAt) <= Number(endedAt)) return undefined;
    return parsed.data;
  }

  async revoke(id: string, accountId?: string): Promise<void> {
    await reachable(this.redis.del(`ks:session:${hash(id)}`));
    if (accountId) await reachable(this.redis.srem(accountIndex(accountId), hash(id)));
  }

  /**
   * Ends every console session of an account (operator or not); returns how many records were deleted. The
   * account's "ended at" time is what guarantees it: any session begun up to now is refused (one signed in
   * while this runs, or one the index does not know), and the records in the index are deleted as a
   * clean-up.
   */
  async revokeAll(accountId: string, now: Date): Promise<number> {
    await reachable(this.redis.set(endedKey(accountId), String(now.getTime()), 'PX', this.maxTtlMs));
    const index = accountIndex(accountId);
    const hashes = await reachable(this.redis.smembers(index));
    // One key per command: sessions and the index may live on different nodes of a cluster.
    const ended = await reachable(Promise.all(hashes.map((h) => this.redis.del(`ks:session:${h}`))));
    if (hashes.length) await reachable(this.redis.srem(index, ...hashes));
    return ended.reduce((sum: number, n) => sum + n, 0);
  }
}
