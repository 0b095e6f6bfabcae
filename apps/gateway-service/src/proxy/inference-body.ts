// Validation of OpenAI request bodies at the edge: the fields the gateway uses must be right (400 naming the
// field); every other field passes through untouched, so new OpenAI parameters keep working.
import { apiError, type ApiError, type UsageEndpoint } from '@gw/contracts';

export const MAX_MESSAGES = 4096;

export interface InferenceBody {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  /** The parsed body, for rewriting and local token counts. */
  json: Record<string, unknown>;
}

const bad = (param: string, message: string): ApiError =>
  apiError('invalid_request', `Invalid ${param}: ${message}.`, param);

export function readInferenceBody(endpoint: UsageEndpoint, body: unknown): InferenceBody | ApiError {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return apiError('invalid_request', 'The body must be a JSON object.', null);
  }
  const json = body as Record<string, unknown>;
  if (typeof json.model !== 'string' || !json.model) return bad('model', 'a model name is required');
  if (json.model.length > 256) return bad('model', 'too long');
  if (endpoint === 'chat.completions') {
    const m = json.messages;
    if (!Array.isArray(m) || m.length === 0) return bad('messages', 'a non-empty array is required');
    if (m.length > MAX_MESSAGES) return bad('messages', `at most ${MAX_MESSAGES} messages`);
    for (let i = 0; i < m.length; i++) {
      const msg = m[i] as { role?: unknown } | null;
      if (!msg || typeof msg !== 'object' || typeof msg.role !== 'string')
        return bad(`messages.${i}.role`, 'each message needs a role');
    }
  } else if (endpoint === 'generate') {
    // Our own API, so strict: exactly {prompt, model, max_tokens?}.
    const unknown = Object.keys(json).find((k) => k !== 'prompt' && k !== 'model' && k !== 'max_tokens');
    if (unknown) return apiError('invalid_request', `Unknown field: ${unknown}.`, unknown);
    if (typeof json.prompt !== 'string' || !json.prompt || json.prompt.length > 1_000_000) {
      return bad('prompt', 'a non-empty string is required');
    }
  } else if (endpoint === 'completions') {
    if (json.prompt === undefined) return bad('prompt', 'required');
  } else if (endpoint === 'embeddings') {
    const input = json.input;
    if (typeof input !== 'string' && !Array.isArray(input))
      return bad('input', 'a string or an array is required');
    if (Array.isArray(input) && (input.length === 0 || input.length > 2048))
      return bad('input', '1 to 2048 items');
  }
  if (json.stream !== undefined && typeof json.stream !== 'boolean')
    return bad('stream', 'must be a boolean');
  if (endpoint === 'embeddings' && json.stream) return bad('stream', 'embeddings do not stream');
  const so = json.stream_options;
  if (so !== undefined && so !== null && (typeof so !== 'object' || Array.isArray(so)))
    return bad('stream_options', 'must be an object');
  const maxTokens = json.max_tokens ?? json.max_completion_tokens;
  const param = json.max_tokens !== undefined ? 'max_tokens' : 'max_completion_tokens';
  if (
    maxTokens !== undefined &&
    maxTokens !== null &&
    (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
  ) {
    return bad(param, 'a positive integer');
  }
  return {
    model: json.model,
    stream: json.stream === true,
    includeUsage: (so as { include_usage?: unknown } | undefined)?.include_usage === true,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    json,
  };
}
