// A Chat Completions answer → an OpenAI Responses API answer (pure): the message text as an output_text part
// of a message item, each tool call a function_call item, the finish reason a status, usage in the Responses
// names.
import type { ResponsesEcho } from './responses-request.js';

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
export const messageItemId = (requestId: string) => `msg_${safeId(requestId)}`;
export const functionItemId = (requestId: string, n: number) => `fc_${safeId(requestId)}_${n}`;

export function responsesUsage(usage: unknown): Json | null {
  const u = (usage ?? {}) as {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown };
    completion_tokens_details?: { reasoning_tokens?: unknown };
  };
  if (typeof u.prompt_tokens !== 'number') return null;
  const output = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: num(u.prompt_tokens_details?.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(u.completion_tokens_details?.reasoning_tokens) },
    total_tokens: u.prompt_tokens + output,
  };
}

/** The Response object around `output`, as the stream's first and last events and the JSON answer carry it. */
export function responseObject(
  ctx: ResponsesContext,
  fields: { status: string; output: Json[]; usage: Json | null; finish?: unknown },
): Json {
  const incomplete = fields.finish === 'length' || fields.finish === 'content_filter';
  return {
    id: responseId(ctx.requestId),
    object: 'response',
    created_at: ctx.createdAt,
    status: fields.status === 'completed' && incomplete ? 'incomplete' : fields.status,
    error: null,
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

export function chatToResponse(chat: Json, ctx: ResponsesContext): Json {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : undefined) as
    { message?: Json; finish_reason?: unknown } | undefined;
  const message = choice?.message ?? {};
  const output: Json[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  const message_ = (content: Json[]) => ({
    type: 'message',
    id: messageItemId(ctx.requestId),
    status: 'completed',
    role: 'assistant',
    content,
  });
  if (text) output.push(message_([{ type: 'output_text', text, annotations: [], logprobs: [] }]));
  if (typeof message.refusal === 'string')
    output.push(message_([{ type: 'refusal', refusal: message.refusal }]));
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : [];
  calls.forEach((call, n) => {
    const fn = (call.function ?? {}) as Json;
    output.push({
      type: 'function_call',
      id: functionItemId(ctx.requestId, n),
      call_id: typeof call.id === 'string' ? call.id : functionItemId(ctx.requestId, n),
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}',
      status: 'completed',
    });
  });
  // An answer with nothing in it is still one (empty) message.
  if (!output.length) output.push(message_([]));
  return responseObject(ctx, {
    status: 'completed',
    output,
    usage: responsesUsage(chat.usage),
    finish: choice?.finish_reason,
  });
}
