// Console sessions and sign-in attempts, server-side in Redis: the browser holds only random ids (in HttpOnly
// cookies); Redis keys are their SHA-256, so a Redis dump opens no session. Both expire by themselves.
import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS, type RedisClient } from '@gw/platform';

export interface SessionRecord {
  accountId: string;
  operator: boolean;
  /** Sent back by the console on every state-changing call (x-csrf-token). */
  csrf: string;
  issuer: string;
  subject: string;
  createdAt: string;
  expiresAt: string;
}

export interface SignInAttempt {
  /** PKCE verifier and nonce of this attempt, never sent to the browser. */
  verifier: string;
  nonce: string;
  /** SHA-256 of the attempt cookie: the callback must come from the browser that started it. */
  browser: string;
}

export const SIGN_IN_TTL_MS = 10 * 60_000;
export const hash = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomId = () => randomBytes(32).toString('base64url');

@Injectable()
export class ConsoleSessions {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async startSignIn(state: string, attempt: SignInAttempt): Promise<void> {
    await this.redis.set(`ks:signin:${hash(state)}`, JSON.stringify(attempt), 'PX', SIGN_IN_TTL_MS);
  }

  /** The attempt of this state, once: a replayed or forged callback finds nothing. */
  async takeSignIn(state: string): Promise<SignInAttempt | undefined> {
    const raw = await this.redis.getdel(`ks:signin:${hash(state)}`);
    return raw ? (JSON.parse(raw) as SignInAttempt) : undefined;
  }

  async create(record: Omit<SessionRecord, 'csrf' | 'createdAt' | 'expiresAt'>, ttlMs: number, now: Date) {
    const id = randomId();
    const session: SessionRecord = {
      ...record,
      csrf: randomId(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
    await this.redis.set(`ks:session:${hash(id)}`, JSON.stringify(session), 'PX', ttlMs);
    return { id, session };
  }

  async find(id: string): Promise<SessionRecord | undefined> {
    const raw = await this.redis.get(`ks:session:${hash(id)}`);
    return raw ? (JSON.parse(raw) as SessionRecord) : undefined;
  }

  async revoke(id: string): Promise<void> {
    await this.redis.del(`ks:session:${hash(id)}`);
  }
}
