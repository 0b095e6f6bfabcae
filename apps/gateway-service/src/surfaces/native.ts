// A request passed through to a provider that speaks the client's surface itself (the Responses or the Messages
// API): the body with only the model and the output cap rewritten, and what the answer cost read from that
// surface's own usage fields, in the chat terms the rest of the pipeline counts in. Pure.
import { type ApiError, apiError } from '@gw/contracts';
import { contentText } from '@gw/tokenizer';
import type { NativeSurface } from '../upstreams/upstream-config.js';
import { bad, isObject, type Json } from '../http/body-checks.js';
import type { InferenceBody } from '../proxy/inference-body.js';
import { STORED_ID } from './stored-responses.js';

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
 * The client's body with the provider's model name and the cap (a provider's own default must not decide what
 * a request may cost). Always re-serialised, so the provider reads exactly the fields the gateway parsed (a
 * nested key given twice keeps the value the gateway counted). `unstored`: a Responses request the gateway
 * could have translated is not stored at the provider unless it asked (OpenAI stores by default), as when
 * translated.
 */
export function nativeBody(
  surface: NativeSurface,
  json: Record<string, unknown>,
  upstreamModel: string,
  cap: number,
  { unstored = false } = {},
): string {
  // (A translatable request never says store: true; null would mean the provider's default, which stores.)
  const store = unstored && surface === 'responses' ? { store: false } : {};
  // The operator's default tier: a client's `service_tier` (priority costs about twice as much) is not priced.
  const { service_tier: _tier, ...rest } = json;
  return JSON.stringify({ ...rest, model: upstreamModel, [NATIVE_CAP_FIELD[surface]]: cap, ...store });
}

/** Part and block types a provider prices by content, not bytes (images, audio, files, documents). */
const MEDIA = new Set(['input_image', 'input_file', 'input_audio', 'image', 'document', 'image_url']);

/**
 * The media parts anywhere in a client's body (its translation may drop some, e.g. images of a tool output or
 * of an assistant message), each reserved at the model's media price. Iterative: the body's depth and size are
 * already bounded (MAX_JSON_DEPTH, MAX_JSON_VALUES).
 */
export function nativeMediaParts(json: Json): number {
  let n = 0;
  const stack: unknown[] = [json];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isObject(v)) {
      if (typeof v.type === 'string' && MEDIA.has(v.type)) n += 1;
      for (const k in v) if (typeof v[k] === 'object' && v[k] !== null) stack.push(v[k]);
    }
  }
  return n;
}

/**
 * A reference to something the provider keeps in the operator's one account, which the gateway cannot tie to
 * a tenant: an `item_reference`, a reasoning item given by id only, a saved `prompt`. The field to refuse, if
 * any (for a request that may be passed through as it is).
 */
export function storedReference(surface: NativeSurface, json: Json): string | undefined {
  if (surface !== 'responses') return undefined;
  if (json.prompt != null) return 'prompt';
  if (!Array.isArray(json.input)) return undefined;
  for (let i = 0; i < json.input.length; i++) {
    const item: unknown = json.input[i];
    if (!isObject(item)) continue;
    if (item.type === 'item_reference') return `input.${i}`;
    if (item.type === 'reasoning' && typeof item.encrypted_content !== 'string') return `input.${i}`;
  }
  return undefined;
}

/** Whether a Responses request leaves a stored response at the provider (its default), whose owner is recorded. */
export const storesAtProvider = (surface: SurfaceRequest) =>
  surface.surface === 'responses' && surface.untranslatable !== undefined && surface.json.store !== false;

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
  // Created outside the gateway (it serves no conversations API), so never attributable to this tenant.
  if (json.conversation != null) return bad('conversation', 'conversations are not served by this gateway');
  const previous = json.previous_response_id;
  if (previous != null && (typeof previous !== 'string' || !STORED_ID.test(previous)))
    return bad('previous_response_id', 'a response id');
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
  // Counts missing or malformed: no usage (then estimated), rather than an answer billed as free.
  if (!Number.isInteger(usage.output_tokens) || !Number.isInteger(usage.input_tokens)) return undefined;
  if (surface === 'responses')
    return { prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens };
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
  /** The prompt a Messages stream reported at its start: billed when the stream is cut before its end. */
  prompt: number | undefined;
  /** The Response's id (a stored one is recorded as its owner's). */
  responseId: unknown;
  private messageStart: unknown;

  /** `onId`: told the Response's id once, as soon as a stream event carries it (before it is relayed). */
  constructor(
    private readonly surface: NativeSurface,
    private readonly onId?: (id: unknown) => void,
  ) {}

  learn(event: Record<string, unknown>, text: (piece: unknown) => void): void {
    const type = event.type;
    if (this.surface === 'responses') {
      if (typeof type !== 'string') return;
      if (type.endsWith('.delta')) return text(event.delta);
      const response = isObject(event.response) ? event.response : undefined;
      if (this.responseId === undefined && response?.id !== undefined) {
        this.responseId = response.id;
        this.onId?.(response.id);
      }
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed')
        this.usage = nativeUsage('responses', response?.usage);
      return;
    }
    if (type === 'message_start') {
      this.messageStart = (event.message as { usage?: unknown } | undefined)?.usage;
      const start = isObject(this.messageStart) ? this.messageStart : {};
      if (Number.isInteger(start.input_tokens))
        this.prompt =
          int(start.input_tokens) +
          int(start.cache_creation_input_tokens) +
          int(start.cache_read_input_tokens);
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
