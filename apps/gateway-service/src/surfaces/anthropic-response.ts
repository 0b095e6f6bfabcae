// A Chat Completions answer → Anthropic's Messages API answer (pure): text and tool calls become content
// blocks, the finish reason a stop reason, usage input/output tokens.
import { firstChoice } from './stream-translator.js';

type Json = Record<string, unknown>;

const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export const stopReason = (finish: unknown) =>
  typeof finish === 'string' ? (STOP_REASONS[finish] ?? 'end_turn') : 'end_turn';

/** A tool call's arguments as the object Anthropic's `input` is ({} when they are not a JSON object). */
export function toolInput(args: unknown): Json {
  if (typeof args !== 'string' || !args) return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

/** Anthropic's message id for a request: msg_ + the gateway's request id, so logs and answers meet. */
const safe = (requestId: string) => requestId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
export const messageId = (requestId: string) => `msg_${safe(requestId)}`;
/** A tool call's id when the provider gave none: unique per request and call. */
export const toolUseId = (requestId: string, n: number) => `toolu_${safe(requestId)}_${n}`;

export function chatToMessage(chat: Json, ctx: { model: string; requestId: string }): Json {
  const choice = firstChoice(chat);
  const message = choice?.message ?? {};
  const content: Json[] = [];
  if (typeof message.content === 'string' && message.content)
    content.push({ type: 'text', text: message.content });
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : [];
  for (const [n, call] of calls.entries()) {
    const fn = (call.function ?? {}) as Json;
    content.push({
      type: 'tool_use',
      id: typeof call.id === 'string' ? call.id : toolUseId(ctx.requestId, n),
      name: typeof fn.name === 'string' ? fn.name : '',
      input: toolInput(fn.arguments),
    });
  }
  const usage = (chat.usage ?? {}) as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return {
    id: messageId(ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: {
      input_tokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
      output_tokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
    },
  };
}
