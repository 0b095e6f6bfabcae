// Local token counts (o200k_base, the GPT-4o family's encoding): used when an upstream reports no usage,
// and by the demo upstream so its reported usage is deterministic. Callers pass a bounded counter's
// `bound`/`estimate` as `count`; the default counts exactly, so keep it for small texts.
import { countChunked, type CountFn } from './counter.js';

export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
  name?: unknown;
}

/** Text of a message content: a string, or an array of parts of which text parts count. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) =>
      p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
        ? (p as { text: string }).text
        : '',
    )
    .join('');
}

/** Exact count of a text, chunked so it stays linear; unbounded, so for small texts. */
export function countTextTokens(text: string): number {
  return text ? countChunked(text) : 0;
}

/** OpenAI's chat framing: 3 tokens per message (+1 with a name), 3 to prime the reply. */
export function countChatTokens(
  messages: readonly ChatMessageLike[],
  count: CountFn = countTextTokens,
): number {
  let total = 3;
  for (const m of messages) {
    total += 3 + count(typeof m.role === 'string' ? m.role : '') + count(contentText(m.content));
    if (typeof m.name === 'string') total += 1 + count(m.name);
  }
  return total;
}

/** A completions prompt or an embeddings input: text, texts, or already-tokenized arrays. */
export function countInputTokens(input: unknown, count: CountFn = countTextTokens): number {
  if (typeof input === 'string') return count(input);
  if (!Array.isArray(input)) return 0;
  if (input.every((x) => typeof x === 'number')) return input.length;
  return input.reduce<number>((sum, x) => sum + countInputTokens(x, count), 0);
}
