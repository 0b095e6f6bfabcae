// Request/reply payloads per NATS subject, and the reply envelope every handler answers with.
import { z } from 'zod';
import { Actor } from './actor.js';
import type { ApiError } from './errors.js';
import type { Page } from './common.js';
import { CreateKeyInput, ListKeysQuery, PERMISSIONS, RegenerateKeyInput, UpdateKeyInput } from './keys.js';
import type { KeyView, KeyWithSecret } from './keys.js';
import type { KeyLookupReply, KeyRecord } from './key-record.js';
import {
  type PricingListReply,
  SpendRequest,
  type SpendReply,
  UsageQueryRequest,
  type UsageQueryReply,
  UsageRangeQuery,
  type UsageView,
} from './usage-query.js';
import { OwnerRef } from './owners.js';

export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: ApiError };

const KeyId = z.uuid();
const KeyHash = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex');

export const RpcRequests = {
  'keys.create': z.strictObject({ actor: Actor, input: CreateKeyInput }),
  'keys.get': z.strictObject({ actor: Actor, id: KeyId }),
  'keys.list': z.strictObject({ actor: Actor, query: ListKeysQuery }),
  'keys.update': z.strictObject({ actor: Actor, id: KeyId, input: UpdateKeyInput }),
  'keys.regenerate': z.strictObject({ actor: Actor, id: KeyId, input: RegenerateKeyInput.default({}) }),
  'keys.delete': z.strictObject({ actor: Actor, id: KeyId }),
  'keys.lookup': z.strictObject({ hash: KeyHash }),
  'keys.usage': z
    .strictObject({
      actor: Actor,
      keyId: KeyId.optional(),
      owner: OwnerRef.optional(),
      query: UsageRangeQuery.default({ granularity: 'day' }),
    })
    .refine(
      (v) => (v.keyId === undefined) !== (v.owner === undefined),
      'give exactly one of keyId and owner',
    ),
  /**
   * The verdict on a presented key: by its hash (the gateway, which checked the format) or by the key itself
   * (auth-service checks the format first). Context fields, when given, are checked too.
   */
  'auth.verify': z
    .strictObject({
      hash: KeyHash.optional(),
      key: z.string().max(256).optional(),
      clientIp: z.string().max(64).optional(),
      model: z.string().max(256).optional(),
      permission: z.enum(PERMISSIONS).optional(),
      /** Skip auth-service's cache: the caller just saw a key event that cache may not have applied yet. */
      fresh: z.boolean().optional(),
    })
    .refine((v) => (v.hash === undefined) !== (v.key === undefined), 'give exactly one of hash and key'),
  'pricing.list': z.strictObject({}),
  'metering.usage.query': UsageQueryRequest,
  'metering.spend': SpendRequest,
} as const;

export interface RpcResponses {
  'keys.create': KeyWithSecret;
  'keys.get': KeyView;
  'keys.list': Page<KeyView>;
  'keys.update': KeyView;
  'keys.regenerate': KeyWithSecret;
  'keys.delete': { deleted: true };
  'keys.lookup': KeyLookupReply;
  'keys.usage': UsageView;
  'auth.verify': { principal: KeyRecord };
  'pricing.list': PricingListReply;
  'metering.usage.query': UsageQueryReply;
  'metering.spend': SpendReply;
}

export type RpcSubject = keyof typeof RpcRequests;
export type RpcRequest<S extends RpcSubject> = z.input<(typeof RpcRequests)[S]>;
/** What a handler of S receives: the request after its schema's parse. */
export type RpcPayload<S extends RpcSubject> = z.output<(typeof RpcRequests)[S]>;
