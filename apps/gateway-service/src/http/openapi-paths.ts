// Swagger for the plain-Fastify routes: OpenAI's shapes, in brief, with the catalogue's error envelope.
import { ERROR_ENVELOPE_SCHEMA } from '@gw/platform';

const errors = Object.fromEntries(
  [400, 401, 403, 404, 429, 502, 503, 504].map((s) => [
    s,
    {
      description: 'OpenAI error envelope',
      content: { 'application/json': { schema: ERROR_ENVELOPE_SCHEMA } },
    },
  ]),
);
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const passThrough = { type: 'object', additionalProperties: true };
const rateHeaders = {
  'x-ratelimit-limit-requests': { schema: { type: 'string' } },
  'x-ratelimit-remaining-requests': { schema: { type: 'string' } },
  'x-ratelimit-reset-requests': { schema: { type: 'string' } },
};

const op = (summary: string, required: string[], properties: Record<string, object>, stream: boolean) => ({
  post: {
    tags: ['inference'],
    summary,
    security: [{ bearer: [] }],
    requestBody: {
      required: true,
      ...json({ type: 'object', required, properties, additionalProperties: true }),
    },
    responses: {
      200: {
        description: stream ? 'JSON, or an SSE stream when `stream: true`' : 'JSON',
        headers: rateHeaders,
        content: {
          'application/json': { schema: passThrough },
          ...(stream ? { 'text/event-stream': { schema: { type: 'string' } } } : {}),
        },
      },
      ...errors,
    },
  },
});

export const GATEWAY_PATHS: Record<string, unknown> = {
  '/v1/chat/completions': op(
    'OpenAI chat completions (stream or not)',
    ['model', 'messages'],
    {
      model: { type: 'string' },
      messages: { type: 'array', items: { type: 'object', required: ['role'], additionalProperties: true } },
      stream: { type: 'boolean' },
      max_tokens: { type: 'integer', minimum: 1 },
      stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
    },
    true,
  ),
  '/v1/completions': op(
    'OpenAI legacy completions',
    ['model', 'prompt'],
    { model: { type: 'string' }, prompt: {}, stream: { type: 'boolean' } },
    true,
  ),
  '/v1/embeddings': op(
    'OpenAI embeddings',
    ['model', 'input'],
    { model: { type: 'string' }, input: {} },
    false,
  ),
  '/v1/responses': op(
    'OpenAI Responses API, stateless (stream or not); translated to Chat Completions',
    ['model', 'input'],
    {
      model: { type: 'string' },
      input: {},
      instructions: { type: 'string' },
      max_output_tokens: { type: 'integer', minimum: 1 },
      tools: { type: 'array', items: { type: 'object', additionalProperties: true } },
      text: { type: 'object', additionalProperties: true },
      stream: { type: 'boolean' },
    },
    true,
  ),
  '/v1/messages': op(
    "Anthropic Messages API (stream or not; key in x-api-key or Bearer; Anthropic's error envelope)",
    ['model', 'max_tokens', 'messages'],
    {
      model: { type: 'string' },
      max_tokens: { type: 'integer', minimum: 1 },
      system: {},
      messages: { type: 'array', items: { type: 'object', additionalProperties: true } },
      tools: { type: 'array', items: { type: 'object', additionalProperties: true } },
      stream: { type: 'boolean' },
    },
    true,
  ),
  '/v1/messages/count_tokens': op(
    "Anthropic's token count of a Messages request, answered by the gateway (not billed)",
    ['model', 'messages'],
    { model: { type: 'string' }, system: {}, messages: { type: 'array' }, tools: { type: 'array' } },
    false,
  ),
  '/v1/generate': {
    post: {
      tags: ['inference'],
      summary: 'Text in, text out, for clients that do not speak chat',
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        ...json({
          type: 'object',
          required: ['prompt', 'model'],
          additionalProperties: false,
          properties: {
            prompt: { type: 'string' },
            model: { type: 'string' },
            max_tokens: { type: 'integer', minimum: 1 },
          },
        }),
      },
      responses: {
        200: json({
          type: 'object',
          properties: {
            id: { type: 'string' },
            model: { type: 'string' },
            text: { type: 'string' },
            usage: passThrough,
          },
        }),
        ...errors,
      },
    },
  },
  '/v1/models': {
    get: {
      tags: ['inference'],
      summary: 'The models this key may call',
      security: [{ bearer: [] }],
      responses: { 200: json(passThrough), 401: errors[401] },
    },
  },
  '/v1/models/{model}': {
    get: {
      tags: ['inference'],
      summary: 'One model by its name or alias, when this key may call it (404 model_not_found otherwise)',
      security: [{ bearer: [] }],
      parameters: [{ name: 'model', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: json(passThrough), 401: errors[401], 404: errors[404] },
    },
  },
};
