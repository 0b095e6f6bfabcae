// What every check of a request body shares: the 400 that names the field, the JSON-object test, and a safe
// way to show a client's value in a message.
import { type ApiError, apiError } from '@gw/contracts';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** 400 invalid_request naming `param`: "Invalid <param>: <message>." */
export const bad = (param: string, message: string): ApiError =>
  apiError('invalid_request', `Invalid ${param}: ${message}.`, param);

/**
 * A client's value in an error message: a short string as it is, anything else by its kind (never String(x),
 * which throws on an object with a non-callable toString).
 */
export const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.slice(0, 64)) : typeof v);

const servableNatively = new WeakSet<ApiError>();

/**
 * A 400 for what has no Chat Completions form but a provider speaking the client's own API could serve (stored
 * state, built-in tools, other item and block types): such a request may still go to one (surfaces/native.ts).
 */
export const unsupported = (param: string, message: string): ApiError => {
  const error = bad(param, message);
  servableNatively.add(error);
  return error;
};

/** Whether a translator refused the request only for want of the provider's own API (see `unsupported`). */
export const isServableNatively = (error: ApiError) => servableNatively.has(error);
