// A Chat Completions answer → an OpenAI Responses API answer (pure): one message item holding the text (and a
// refusal, if any) as content parts, each tool call a function_call item, the finish reason a status, usage
// in the Responses names.
import type { ResponsesEcho } from './responses-request.js';
import { firstChoice } from './stream-translator.js';

type Json = Record<string, unknown>;

export interface ResponsesContext {
  model: string;
  requestId: string;
  /** Unix seconds the request arrived. */
  createdAt: number;
  echo: ResponsesEcho;
}

const safeId = (requestId: string) => requestId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
export const responseId = (requestId: string) => `resp_${safeId(requestId)}`;
/** The answer's one message item. */
export const messageItemId = (requestId: string) => `msg_${safeId(requestId)}`;
export const functionItemId = (requestId: string, n: number) => `fc_${safeId(requestId)}_${n}`;

/**
 * Usage in the Responses names. Never null: strict clients (the Vercel AI SDK) require it, so a provider that
 * reported none gives zeros here (the gateway bills its own estimate regardless).
 */
export function responsesUsage(usage: unknown): Json {
  const u = (usage ?? {}) as {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown };
    completion_tokens_details?: { reasoning_tokens?: unknown };
  };
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const input = num(u.prompt_tokens);
  const output = num(u.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: num(u.prompt_tokens_details?.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(u.completion_tokens_details?.reasoning_tokens) },
    total_tokens: input + output,
  };
}

/** The Response object around `output`, as the stream's first and last events and the JSON answer carry it. */
export function responseObject(
  ctx: ResponsesContext,
  fields: { status: string; output: Json[]; usage: Json | null; finish?: unknown; error?: Json },
): Json {
  const incomplete = fields.finish === 'length' || fields.finish === 'content_filter';
  return {
    id: responseId(ctx.requestId),
    object: 'response',
    created_at: ctx.createdAt,
    status: fields.status === 'completed' && incomplete ? 'incomplete' : fields.status,
    error: fields.error ?? null,
    incomplete_details: incomplete
      ? { reason: fields.finish === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    model: ctx.model,
    output: fields.output,
    previous_response_id: null,
    store: false,
    ...ctx.echo,
    usage: fields.usage,
  };
}

export const messageItem = (requestId: string, parts: Json[], status = 'completed') => ({
  type: 'message',
  id: messageItemId(requestId),
  status,
  role: 'assistant',
  content: parts,
});

export const functionCallItem = (
  requestId: string,
  n: number,
  call: { id?: string; name: string; arguments: string },
  status = 'completed',
) => ({
  type: 'function_call',
  id: functionItemId(requestId, n),
  call_id: call.id ?? functionItemId(requestId, n),
  name: call.name,
  arguments: call.arguments,
  status,
});

export function chatToResponse(chat: Json, ctx: ResponsesContext): Json {
  const choice = firstChoice(chat);
  const message = choice?.message ?? {};
  const parts: Json[] = [];
  if (typeof message.content === 'string' && message.content)
    parts.push({ type: 'output_text', text: message.content, annotations: [], logprobs: [] });
  if (typeof message.refusal === 'string') parts.push({ type: 'refusal', refusal: message.refusal });
  const output: Json[] = parts.length ? [messageItem(ctx.requestId, parts)] : [];
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : [];
  calls.forEach((call, n) => {
    const fn = (call.function ?? {}) as Json;
    output.push(
      functionCallItem(ctx.requestId, n, {
        id: typeof call.id === 'string' ? call.id : undefined,
        name: typeof fn.name === 'string' ? fn.name : '',
        arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}',
      }),
    );
  });
  // An answer with nothing in it is still one (empty) message.
  if (!output.length) output.push(messageItem(ctx.requestId, []));
  return responseObject(ctx, {
    status: 'completed',
    output,
    usage: responsesUsage(chat.usage),
    finish: choice?.finish_reason,
  });
}
