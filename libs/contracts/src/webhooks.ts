// Webhook DTO shapes (key-service REST) and the event types owners subscribe to.
import { z } from 'zod';
import { OwnerRef } from './owners.js';
import { PageLimit } from './common.js';

export const WEBHOOK_EVENTS = [
  'key.created',
  'key.updated',
  'key.disabled',
  /** Deleted, or its secret regenerated away (after any grace period the caller asked for). */
  'key.revoked',
  /** A configurable time (WEBHOOK_EXPIRING_BEFORE_MS) before the key's expiresAt. */
  'key.expiring',
  /** 80 % of a key's quota or of its owner's credit limit spent. */
  'quota.threshold',
  'quota.exhausted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

const WebhookUrl = z.url({ protocol: /^https?$/ }).max(2048);
const EventList = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .refine((a) => new Set(a).size === a.length, 'must not repeat entries');

export const CreateWebhookInput = z.strictObject({
  url: WebhookUrl,
  events: EventList,
  /** Operator, or a key caller for an org it administers: whose events. Default: the caller's owner. */
  owner: OwnerRef.optional(),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookInput>;

export const UpdateWebhookInput = z
  .strictObject({ url: WebhookUrl.optional(), events: EventList.optional(), enabled: z.boolean().optional() })
  .refine((v) => Object.keys(v).length > 0, 'at least one field is required');
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookInput>;

export const WebhookView = z.object({
  id: z.uuid(),
  owner: OwnerRef,
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookView = z.infer<typeof WebhookView>;

/** Create answers only: the Standard Webhooks signing secret (`whsec_…`), shown once. */
export const WebhookWithSecret = WebhookView.extend({ secret: z.string() });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookPage = z.object({ data: z.array(WebhookView), nextCursor: z.string().nullable() });

export const DeliveryView = z.object({
  /** The `webhook-id` header value: the same for every attempt of this message. */
  id: z.uuid(),
  eventType: z.enum(WEBHOOK_EVENTS),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  payload: z.object({ type: z.string(), timestamp: z.string(), data: z.unknown() }),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

export const DeliveryPage = z.object({ data: z.array(DeliveryView), nextCursor: z.string().nullable() });

export const ListPageQuery = z.strictObject({ limit: PageLimit, cursor: z.string().max(200).optional() });
export type ListPageQuery = z.infer<typeof ListPageQuery>;
