// Token counts the gateway makes itself: an upper bound of the prompt for reservations, estimates for billing
// when an upstream reports no usage. Every count is linear and budgeted (TokenCounter), so no request can
// make the event loop tokenize megabytes.
import {
  type ChatMessageLike,
  contentText,
  countChatTokens,
  countInputTokens,
  TokenCounter,
} from '@gw/tokenizer';
import type { UsageEndpoint } from '@gw/contracts';

const ABSURD = 10_000_000;

export interface Tokens {
  prompt: number;
  completion: number;
}

export function saneUsage(usage: unknown): Tokens | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  const prompt = u.prompt_tokens;
  const completion = u.completion_tokens ?? 0;
  const ok = (n: unknown): n is number =>
    Number.isInteger(n) && (n as number) >= 0 && (n as number) <= ABSURD;
  return ok(prompt) && ok(completion) ? { prompt, completion } : undefined;
}

/**
 * The tokenizer's first counts pay its JIT warm-up (~20 ms for one 64 KiB prompt, measured): paid at start,
 * not by the first client.
 */
export function warmUpTokenizer() {
  const samples = [
    'Hello, world! ',
    'function f(x) { return x * 2; }\n',
    '漢字かな交じり文',
    'a'.repeat(300),
    '😀é!#%&',
  ];
  for (let i = 0; i < 20; i++) for (const s of samples) new TokenCounter().bound(s.repeat(40) + i);
}

/** Top-level fields billed as prompt besides the messages (chat) or the prompt (completions). */
const CHAT_EXTRAS = ['tools', 'functions', 'response_format', 'prediction', 'tool_choice'] as const;
const MESSAGE_TEXT = new Set(['role', 'content', 'name']);

/**
 * A chat prompt: OpenAI's framing and text parts, every other field of a message (tool calls and their
 * arguments, tool results' ids, audio references…) as JSON text, each media part (image, audio, file) at
 * the model's `mediaPartTokens`, and the request's tool and schema definitions.
 */
function chatPrompt(json: Record<string, unknown>, count: (t: string) => number, mediaPartTokens: number) {
  const messages = json.messages as (ChatMessageLike & Record<string, unknown>)[];
  let total = countChatTokens(messages, count);
  for (const m of messages)
    for (const field in m)
      if (!MESSAGE_TEXT.has(field) && m[field] != null) total += count(JSON.stringify(m[field]));
  total += mediaParts(json) * mediaPartTokens;
  for (const field of CHAT_EXTRAS) if (json[field] != null) total += count(JSON.stringify(json[field]));
  return total;
}

/** The image, audio and file parts of a chat body's messages (each billed at the model's mediaPartTokens). */
export function mediaParts(json: Record<string, unknown>): number {
  let n = 0;
  if (!Array.isArray(json.messages)) return n;
  for (const m of json.messages as { content?: unknown }[])
    if (Array.isArray(m?.content))
      for (const part of m.content as { type?: unknown }[]) if (part?.type !== 'text') n += 1;
  return n;
}

/**
 * The prompt's tokens: `bound` for reservations (past the counter's budget, one token per UTF-8 byte, which no
 * byte-level BPE can exceed), `estimate` for billing.
 */
export function promptTokens(
  endpoint: UsageEndpoint,
  json: Record<string, unknown>,
  mode: 'bound' | 'estimate',
  mediaPartTokens = 0,
): number {
  const counter = new TokenCounter();
  const count = mode === 'bound' ? (t: string) => counter.bound(t) : (t: string) => counter.estimate(t);
  switch (endpoint) {
    case 'chat.completions':
    case 'messages': // the translated Chat Completions body
    case 'responses':
      return chatPrompt(json, count, mediaPartTokens);
    case 'generate':
      return countChatTokens([{ role: 'user', content: json.prompt }], count);
    case 'completions':
      return (
        countInputTokens(json.prompt, count) + (typeof json.suffix === 'string' ? count(json.suffix) : 0)
      );
    case 'embeddings':
      return countInputTokens(json.input, count);
  }
}

interface ChoiceLike {
  text?: unknown;
  message?: {
    content?: unknown;
    reasoning_content?: unknown;
    reasoning?: unknown;
    refusal?: unknown;
    tool_calls?: { function?: { name?: unknown; arguments?: unknown } }[];
  };
}

/** Text an answer's choice delivered: content, reasoning, refusal and tool calls all cost output tokens. */
export function choiceTexts(c: ChoiceLike | null | undefined): string[] {
  if (!c || typeof c !== 'object') return [];
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v) out.push(v);
  };
  add(c.text);
  const m = c.message;
  if (m && typeof m === 'object') {
    add(contentText(m.content));
    add(m.reasoning_content);
    add(m.reasoning);
    add(m.refusal);
    if (Array.isArray(m.tool_calls))
      for (const t of m.tool_calls) {
        add(t?.function?.name);
        add(t?.function?.arguments);
      }
  }
  return out;
}

/** Completion tokens of a non-stream response body that carried no usage. */
export function completionTokensOf(response: Record<string, unknown>): number {
  const counter = new TokenCounter();
  const choices = Array.isArray(response.choices) ? (response.choices as ChoiceLike[]) : [];
  let total = 0;
  for (const c of choices) for (const text of choiceTexts(c)) total += counter.estimate(text);
  return total;
}
