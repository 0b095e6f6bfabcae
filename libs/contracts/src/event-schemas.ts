// The zod form of every fan-out event (events.ts): every subscriber parses with these before its handler
// runs, so a malformed or forged-shape message is dropped, never thrown into the NATS client's read loop.
import { z } from 'zod';
import type { EventPayloads, EventSubject } from './events.js';
import { OWNER_TYPES } from './owners.js';
import { SUBJECTS } from './subjects.js';

const Owner = z.object({ type: z.enum(OWNER_TYPES), id: z.uuid() });
const At = z.string().min(1).max(40);
const Hashes = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1_000);
const Period = z.string().regex(/^(lifetime|\d{4}-(0[1-9]|1[0-2]))$/);

const KeyChanged = z.discriminatedUnion('scope', [
  z.object({
    scope: z.literal('key'),
    keyId: z.uuid(),
    owner: Owner,
    hashes: Hashes,
    reason: z.enum(['created', 'updated', 'disabled', 'enabled', 'regenerated', 'grace_ended']),
    at: At,
  }),
  z.object({ scope: z.literal('owner'), owner: Owner, reason: z.literal('owner_updated'), at: At }),
  z.object({
    scope: z.literal('tier'),
    tier: z.string().min(1).max(64),
    reason: z.literal('tier_updated'),
    at: At,
  }),
]);

export const EVENT_SCHEMAS: { [S in EventSubject]: z.ZodType<EventPayloads[S]> } = {
  [SUBJECTS.events.keyChanged]: KeyChanged,
  [SUBJECTS.events.keyDeleted]: z.object({ keyId: z.uuid(), owner: Owner, hashes: Hashes, at: At }),
  [SUBJECTS.events.quotaExhausted]: z.object({
    keyId: z.uuid().optional(),
    owner: Owner,
    period: Period,
    at: At,
  }),
  [SUBJECTS.events.quotaThreshold]: z.object({
    keyId: z.uuid().optional(),
    owner: Owner,
    period: Period,
    percent: z.number().int().min(1).max(100),
    limitMicros: z.number().int().min(0),
    spentMicros: z.number().int().min(0),
    at: At,
  }),
  [SUBJECTS.events.pricingChanged]: z.object({
    kind: z.enum(['model', 'group']),
    name: z.string().min(1).max(128),
    at: At,
  }),
  // Entries are checked one by one by the receiver: one bad entry does not cost a batch's good ones.
  [SUBJECTS.keys.touch]: z.object({ touches: z.array(z.unknown()).max(100_000) }),
} as { [S in EventSubject]: z.ZodType<EventPayloads[S]> };

/** The payload of an event on `subject`, or undefined when the subject is unknown or the shape wrong. */
export function parseEvent(subject: string, payload: unknown): EventPayloads[EventSubject] | undefined {
  const schema = (EVENT_SCHEMAS as Record<string, z.ZodType | undefined>)[subject];
  if (!schema) return undefined;
  const res = schema.safeParse(payload);
  return res.success ? (res.data as EventPayloads[EventSubject]) : undefined;
}
