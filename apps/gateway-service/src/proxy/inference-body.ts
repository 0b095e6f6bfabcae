// Validation of OpenAI request bodies at the edge: the fields the gateway uses must be right (400 naming the
// field); every other field passes through untouched, so new OpenAI parameters keep working.
import { apiError, type ApiError, type UsageEndpoint } from '@gw/contracts';
import { bad, isObject } from '../http/body-checks.js';

export const MAX_MESSAGES = 4096;
const MAX_N = 128;

export interface InferenceBody {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The smallest output cap the client asked for (max_tokens / max_completion_tokens), if any. */
  maxTokens: number | undefined;
  /**
   * How many answers the provider may generate (and bill): `n`, or `best_of` for legacy completions, times
   * the prompts of a prompt array. Every one of them can run to the output cap.
   */
  outputs: number;
  /** The parsed body, for rewriting and local token counts. */
  json: Record<string, unknown>;
}

export interface BodyLimits {
  /** Most answers one request may ask for (MAX_CHOICES). */
  maxChoices: number;
}

/** An optional positive integer up to `max`: the value, undefined when absent or null, or the error. */
function count(json: Record<string, unknown>, field: string, max: number): number | undefined | ApiError {
  const v = json[field];
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
    return bad(field, `an integer from 1 to ${max}`);
  return v as number;
}

function checkMessages(m: unknown): ApiError | undefined {
  if (!Array.isArray(m) || m.length === 0) return bad('messages', 'a non-empty array is required');
  if (m.length > MAX_MESSAGES) return bad('messages', `at most ${MAX_MESSAGES} messages`);
  for (let i = 0; i < m.length; i++) {
    const msg = m[i] as { role?: unknown } | null;
    if (!isObject(msg) || typeof msg.role !== 'string')
      return bad(`messages.${i}.role`, 'each message needs a role');
  }
  return undefined;
}

/** How many prompts a legacy completions `prompt` holds: text, texts, tokens, or token arrays. */
function promptCount(prompt: unknown): number | ApiError {
  if (typeof prompt === 'string') return 1;
  if (!Array.isArray(prompt) || prompt.length === 0) return bad('prompt', 'a string or a non-empty array');
  if (prompt.every((p) => typeof p === 'number')) return 1;
  if (prompt.every((p) => typeof p === 'string' || Array.isArray(p))) return prompt.length;
  return bad('prompt', 'strings, tokens or token arrays');
}

function checkEndpoint(endpoint: UsageEndpoint, json: Record<string, unknown>): number | ApiError {
  switch (endpoint) {
    case 'chat.completions':
    case 'messages': // translated to Chat Completions before it gets here
    case 'responses':
      return checkMessages(json.messages) ?? 1;
    case 'generate': {
      // Our own API, so strict: exactly {prompt, model, max_tokens?}.
      const unknown = Object.keys(json).find((k) => k !== 'prompt' && k !== 'model' && k !== 'max_tokens');
      if (unknown) return apiError('invalid_request', `Unknown field: ${unknown}.`, unknown);
      if (typeof json.prompt !== 'string' || !json.prompt || json.prompt.length > 1_000_000)
        return bad('prompt', 'a non-empty string is required');
      return 1;
    }
    case 'completions':
      if (json.prompt === undefined) return bad('prompt', 'required');
      return promptCount(json.prompt);
    case 'embeddings': {
      const input = json.input;
      if (typeof input !== 'string' && !Array.isArray(input))
        return bad('input', 'a string or an array is required');
      if (Array.isArray(input) && (input.length === 0 || input.length > 2048))
        return bad('input', '1 to 2048 items');
      if (json.stream) return bad('stream', 'embeddings do not stream');
      return 0;
    }
  }
}

/** The answers a request can make the provider generate, or the field that asks for too many. */
function outputsOf(
  endpoint: UsageEndpoint,
  json: Record<string, unknown>,
  prompts: number,
  limits: BodyLimits,
): number | ApiError {
  if (endpoint === 'embeddings' || endpoint === 'generate') return prompts;
  const n = count(json, 'n', MAX_N);
  if (typeof n === 'object') return n;
  let each = n ?? 1;
  // best_of is OpenAI's on legacy completions; vLLM and others take it on chat too, and bill every answer.
  const bestOf = count(json, 'best_of', MAX_N);
  if (typeof bestOf === 'object') return bestOf;
  if (bestOf !== undefined && bestOf < each) return bad('best_of', 'must be at least n');
  each = bestOf ?? each;
  const outputs = each * prompts;
  if (outputs > limits.maxChoices) {
    const param = json.best_of != null ? 'best_of' : json.n != null ? 'n' : 'prompt';
    return bad(param, `at most ${limits.maxChoices} answers per request (n × best_of × prompts)`);
  }
  return outputs;
}

export function readInferenceBody(
  endpoint: UsageEndpoint,
  body: unknown,
  limits: BodyLimits,
): InferenceBody | ApiError {
  if (!isObject(body)) return apiError('invalid_request', 'The body must be a JSON object.', null);
  const json = body;
  if (typeof json.model !== 'string' || !json.model) return bad('model', 'a model name is required');
  if (json.model.length > 256) return bad('model', 'too long');
  const prompts = checkEndpoint(endpoint, json);
  if (typeof prompts === 'object') return prompts;
  if (json.stream !== undefined && json.stream !== null && typeof json.stream !== 'boolean')
    return bad('stream', 'must be a boolean');
  const so = json.stream_options;
  if (so !== undefined && so !== null && !isObject(so)) return bad('stream_options', 'must be an object');
  const outputs = outputsOf(endpoint, json, prompts, limits);
  if (typeof outputs === 'object') return outputs;
  // Both caps are checked (OpenAI's current field and the older one); the smaller one binds.
  let maxTokens: number | undefined;
  for (const field of ['max_tokens', 'max_completion_tokens']) {
    const v = count(json, field, Number.MAX_SAFE_INTEGER);
    if (typeof v === 'object') return bad(field, 'a positive integer');
    if (v !== undefined) maxTokens = Math.min(maxTokens ?? v, v);
  }
  return {
    model: json.model,
    stream: json.stream === true,
    includeUsage: (so as { include_usage?: unknown } | undefined)?.include_usage === true,
    maxTokens,
    outputs,
    json,
  };
}
