// Turns a zod failure into the catalogue's invalid_request with the offending field named in `param`.
import type { z } from 'zod';
import { apiError, type ApiError, fail, ok, type Result } from './errors.js';

export function issueToError(issue: z.core.$ZodIssue, root?: string): ApiError {
  const path = [...(root ? [root] : []), ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') {
    const field = [...path, issue.keys[0]].join('.');
    return apiError('invalid_request', `Unknown field: ${field}.`, field);
  }
  const param = path.length ? path.join('.') : null;
  return apiError(
    'invalid_request',
    param ? `Invalid ${param}: ${issue.message}.` : `Invalid body: ${issue.message}.`,
    param,
  );
}

export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root?: string,
): Result<z.output<S>> {
  const res = schema.safeParse(value);
  if (res.success) return ok(res.data);
  const err = issueToError(res.error.issues[0], root);
  return fail(err.code, err.message, err.param);
}
