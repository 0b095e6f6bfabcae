// Request/reply payloads per NATS subject, and the reply envelope every handler answers with.
import { z } from 'zod';
import { Actor } from './actor.js';
import type { ApiError } from './errors.js';
import type { Page } from './common.js';
import { CreateKeyInput, ListKeysQuery, RegenerateKeyInput, UpdateKeyInput } from './keys.js';
import type { KeyView, KeyWithSecret } from './keys.js';
import type { KeyLookupReply } from './key-record.js';

export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: ApiError };

const KeyId = z.uuid();

export const RpcRequests = {
  'keys.create': z.strictObject({ actor: Actor, input: CreateKeyInput }),
  'keys.get': z.strictObject({ actor: Actor, id: KeyId }),
  'keys.list': z.strictObject({ actor: Actor, query: ListKeysQuery }),
  'keys.update': z.strictObject({ actor: Actor, id: KeyId, input: UpdateKeyInput }),
  'keys.regenerate': z.strictObject({ actor: Actor, id: KeyId, input: RegenerateKeyInput.default({}) }),
  'keys.delete': z.strictObject({ actor: Actor, id: KeyId }),
  'keys.lookup': z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/) }),
} as const;

export interface RpcResponses {
  'keys.create': KeyWithSecret;
  'keys.get': KeyView;
  'keys.list': Page<KeyView>;
  'keys.update': KeyView;
  'keys.regenerate': KeyWithSecret;
  'keys.delete': { deleted: true };
  'keys.lookup': KeyLookupReply;
}

export type RpcSubject = keyof typeof RpcRequests;
export type RpcRequest<S extends RpcSubject> = z.input<(typeof RpcRequests)[S]>;
