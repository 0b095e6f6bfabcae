// A request passed through to a provider that speaks the client's surface itself (the Responses or the Messages
// API): the body with only the model and the output cap rewritten, and what the answer cost read from that
// surface's own usage fields, in the chat terms the rest of the pipeline counts in. Pure.
import { type ApiError, apiError } from '@gw/contracts';
import { contentText } from '@gw/tokenizer';
import type { NativeSurface } from '../upstreams/upstream-config.js';
import { bad, isObject, type Json } from '../http/body-checks.js';
import type { InferenceBody } from '../proxy/inference-body.js';

/** A request on the Responses or the Messages API, as the client sent it. */
export interface SurfaceRequest {
  surface: NativeSurface;
  json: Json;
  /**
   * Why it cannot be translated to Chat Completions (state the gateway does not keep, built-in tools, blocks it
   * does not map): only a provider speaking the surface itself may serve it.
   */
  untranslatable: ApiError | undefined;
}

/** The field of each surface that caps the answer's length. */
export const NATIVE_CAP_FIELD: Record<NativeSurface, 'max_output_tokens' | 'max_tokens'> = {
  responses: 'max_output_tokens',
  messages: 'max_tokens',
};

/** The upstream path of each surface, below the provider's base URL. */
export const NATIVE_PATH: Record<NativeSurface, string> = { responses: '/responses', messages: '/messages' };

/** Chat-shaped usage, as `saneUsage` reads it. */
export interface ChatUsage {
  prompt_tokens: unknown;
  completion_tokens: unknown;
}

/**
 * The client's bytes when nothing needs changing; otherwise the body re-serialised with the provider's model
 * name and the cap (a provider's own default must not decide what a request may cost).
 */
export function nativeBody(
  surface: NativeSurface,
  json: Record<string, unknown>,
  raw: Buffer,
  upstreamModel: string,
  cap: number,
): Buffer | string {
  const field = NATIVE_CAP_FIELD[surface];
  if (json.model === upstreamModel && json[field] === cap) return raw;
  return JSON.stringify({ ...json, model: upstreamModel, [field]: cap });
}

/**
 * What the pipeline needs of a request only a native provider can serve: the checks its own limits depend on
 * (model, stream, the cap), the rest left to the provider. A background response would be billed after the
 * gateway has answered, so it is never passed.
 */
export function readNativeBody(surface: NativeSurface, json: Json): InferenceBody | ApiError {
  if (typeof json.model !== 'string' || !json.model) return bad('model', 'a model name is required');
  if (json.model.length > 256) return bad('model', 'too long');
  if (json.background === true)
    return bad('background', 'background responses cannot be metered by this gateway');
  if (json.stream != null && typeof json.stream !== 'boolean') return bad('stream', 'a boolean');
  const field = NATIVE_CAP_FIELD[surface];
  const cap = json[field];
  if (cap != null && (!Number.isInteger(cap) || (cap as number) < 1)) return bad(field, 'a positive integer');
  return {
    model: json.model,
    stream: json.stream === true,
    includeUsage: true,
    maxTokens: cap == null ? undefined : (cap as number),
    outputs: 1,
    json,
  };
}

/** A native-only request for a key with a spending limit: its cost cannot be bounded before it runs. */
export function unboundedForLimitedKey(why: ApiError): ApiError {
  return apiError(
    'invalid_request',
    `${why.message} A provider that speaks this API could serve it, but not for a key with a spending limit: ` +
      'its cost cannot be bounded before it runs.',
    why.param,
  );
}

const int = (v: unknown) => (Number.isInteger(v) ? (v as number) : 0);

/**
 * The answer's usage in chat terms. Anthropic counts cache reads and writes apart from `input_tokens`: all of
 * them are prompt the provider billed. OpenAI's `input_tokens` already include cached ones, and its
 * `output_tokens` the reasoning.
 */
export function nativeUsage(surface: NativeSurface, usage: unknown): ChatUsage | undefined {
  if (!isObject(usage)) return undefined;
  if (surface === 'responses')
    return { prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens };
  if (usage.input_tokens === undefined) return undefined;
  return {
    prompt_tokens:
      int(usage.input_tokens) + int(usage.cache_creation_input_tokens) + int(usage.cache_read_input_tokens),
    completion_tokens: usage.output_tokens,
  };
}

/** The text an answer delivered (for an estimate when it brings no usage): text, tool input, reasoning. */
export function nativeAnswerTexts(surface: NativeSurface, answer: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v) out.push(v);
    else if (v !== undefined && v !== null && typeof v === 'object') out.push(JSON.stringify(v));
  };
  const items = surface === 'responses' ? answer.output : answer.content;
  if (!Array.isArray(items)) return out;
  for (const item of items) {
    if (!isObject(item)) continue;
    add(item.text); // Messages text block
    add(item.thinking);
    add(item.input); // Messages tool_use
    add(item.arguments); // Responses function_call
    add(item.name);
    if (Array.isArray(item.content))
      for (const part of item.content) if (isObject(part)) add(part.text ?? part.refusal);
    if (Array.isArray(item.summary)) add(contentText(item.summary));
  }
  return out;
}

/**
 * Reads a native stream's events as they pass: the usage once the stream reports it whole (`usage` stays
 * undefined until then, so a cut stream is estimated), and the text delivered, through `text`.
 */
export class NativeStreamMeter {
  /** Chat-shaped usage, set once the stream has reported its final counts. */
  usage: ChatUsage | undefined;
  private messageStart: unknown;

  constructor(private readonly surface: NativeSurface) {}

  learn(event: Record<string, unknown>, text: (piece: unknown) => void): void {
    const type = event.type;
    if (this.surface === 'responses') {
      if (typeof type !== 'string') return;
      if (type.endsWith('.delta')) text(event.delta);
      else if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed')
        this.usage = nativeUsage('responses', (event.response as { usage?: unknown } | undefined)?.usage);
      return;
    }
    if (type === 'message_start') {
      this.messageStart = (event.message as { usage?: unknown } | undefined)?.usage;
    } else if (type === 'content_block_delta' && isObject(event.delta)) {
      const d = event.delta;
      text(d.text ?? d.partial_json ?? d.thinking);
    } else if (type === 'message_delta' && isObject(event.usage)) {
      // Counts in message_delta are cumulative and win over message_start's (which has the input's).
      const counts: Record<string, unknown> = isObject(this.messageStart) ? { ...this.messageStart } : {};
      for (const [field, n] of Object.entries(event.usage)) if (Number.isInteger(n)) counts[field] = n;
      this.usage = nativeUsage('messages', counts);
    }
  }
}
