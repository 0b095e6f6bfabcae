import { z } from 'zod';

// The usage event: one per request, published by gateways to JetStream stream USAGE (message id = request id).
export const USAGE_SUBJECT = 'usage.events';

/**
 * The surface a request came in on; `messages` (Anthropic's Messages API) and `responses` (OpenAI's Responses
 * API) are served through Chat Completions.
 */
export const USAGE_ENDPOINTS = [
  'chat.completions',
  'completions',
  'embeddings',
  'generate',
  'messages',
  'responses',
] as const;
export type UsageEndpoint = (typeof USAGE_ENDPOINTS)[number];

export interface UsageEvent {
  /** Also the JetStream message id: a re-publish of the same request is deduplicated. */
  requestId: string;
  keyId: string;
  owner: { type: 'account' | 'organization'; id: string };
  /** The key's pricing group, so metering prices with the right multiplier. */
  group: string;
  /** The model the client asked for (aliases resolved to the gateway's model name). */
  model: string;
  endpoint: UsageEndpoint;
  /** The provider that served it; null when none was reached. */
  upstream: string | null;
  promptTokens: number;
  completionTokens: number;
  /** HTTP status the client got. */
  status: number;
  stream: boolean;
  /** Tokens counted locally because the upstream reported none (or the client left before it did). */
  estimated: boolean;
  latencyMs: number;
  /** ISO time the request arrived. */
  at: string;
  /**
   * The limits the request ran under, for keys with a quota or owners with a credit limit: metering tells
   * everyone when its counters reach one (keys.events.quota_exhausted). Micro-credits.
   */
  limits?: UsageLimits;
  /**
   * What the gateway held in Redis for this request (its worst case) and in which bucket (HOLD_BUCKET_MS):
   * metering releases it when it counts the request. Absent when nothing was held there.
   */
  held?: UsageHeld;
}

export interface UsageHeld {
  micros: number;
  bucket: number;
  /** The bucket's generation when the hold was taken (SPEND_KEYS.holdGeneration). */
  generation: string;
}

export interface UsageLimits {
  key?: { micros: number; period: 'monthly' | 'total' };
  ownerMicros?: number;
}

/**
 * A USAGE message carries one event (a spool replay, an older gateway) or a JSON array of them (a gateway's
 * burst: one message, one store and one ack for many requests). Each event is checked on its own and
 * deduplicated by its request id, so an invalid one costs the others nothing.
 */
export const USAGE_BATCH_MAX_EVENTS = 512;
/** Well under NATS's default max_payload (1 MB). */
export const USAGE_BATCH_MAX_BYTES = 256 * 1024;

/** The events of a USAGE message's parsed body, or why it carries none (each still to be validated). */
export function usageMessageEvents(body: unknown): unknown[] | string {
  if (!Array.isArray(body)) return [body];
  if (body.length === 0) return 'an empty batch';
  if (body.length > USAGE_BATCH_MAX_EVENTS) return `a batch of more than ${USAGE_BATCH_MAX_EVENTS} events`;
  return body;
}

/**
 * A NUL (Postgres refuses it in text: the whole batch would fail) or a lone surrogate (stored as U+FFFD: no
 * longer the id that was deduplicated, nor the text that was sent).
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Text that Postgres stores as it was sent. */
const storedText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !UNSTORABLE.test(s), 'holds a NUL or a lone surrogate');

/** Validates an event read from the stream (metering trusts nothing it did not check). */
export const UsageEventSchema = z.object({
  requestId: storedText(1, 128),
  keyId: z.uuid(),
  owner: z.object({ type: z.enum(['account', 'organization']), id: z.uuid() }),
  group: storedText(1, 64),
  model: storedText(1, 256),
  endpoint: z.enum(USAGE_ENDPOINTS),
  upstream: storedText(0, 128).nullable(),
  promptTokens: z.number().int().min(0).max(100_000_000),
  completionTokens: z.number().int().min(0).max(100_000_000),
  status: z.number().int().min(100).max(599),
  stream: z.boolean(),
  estimated: z.boolean(),
  latencyMs: z.number().int().min(0).max(2_147_483_647),
  at: z.iso.datetime({ offset: true }),
  limits: z
    .object({
      key: z.object({ micros: z.number().int().min(0), period: z.enum(['monthly', 'total']) }).optional(),
      ownerMicros: z.number().int().min(0).optional(),
    })
    .optional(),
  held: z
    .object({
      micros: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      bucket: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      generation: z.string().min(1).max(64),
    })
    .optional(),
}) satisfies z.ZodType<UsageEvent>;
