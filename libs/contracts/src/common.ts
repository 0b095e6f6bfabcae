import { z } from 'zod';

export const Uuid = z.uuid();
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"');
export const ModelName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits, ".", "_", ":", "/" and "-"');
/** Control characters (NUL among them, which Postgres text refuses) have no place in names or searches. */
export const hasControlCharacters = (s: string) => [...s].some((c) => c < ' ' || c === '\x7f');

export const DisplayName = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => s.trim() === s, 'must not start or end with whitespace')
  .refine((s) => !hasControlCharacters(s), 'must not contain control characters');

/** A case-insensitive 'name contains' filter of a list. */
export const NameSearch = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((s) => !hasControlCharacters(s), 'must not contain control characters')
  .optional();

export const PageLimit = z.coerce.number().int().min(1).max(100).default(20);

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
