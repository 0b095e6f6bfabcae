import { z } from 'zod';

/**
 * Who is acting on a management call. REST derives it from the bearer token; internal NATS callers pass it,
 * and the same authorization rules apply: operator = any owner; account = that account with every
 * permission (and the roles it holds in organizations); key = exactly what that key may do.
 */
export const Actor = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('operator') }),
  z.strictObject({ type: z.literal('account'), id: z.uuid() }),
  z.strictObject({ type: z.literal('key'), id: z.uuid() }),
]);
export type Actor = z.infer<typeof Actor>;
