// Switches a test or an operator flips at run time (POST /__control) to make the upstream misbehave.
export interface Behaviour {
  /** Added before answering (and before the first chunk of a stream). */
  latencyMs: number;
  /** Answer this HTTP status (400–599) instead of a completion; 0 = answer normally. */
  failStatus: number;
  /** How many requests the failure applies to; -1 = all until reset. */
  failCount: number;
  /** The failure's `error.message` (e.g. a 401 echoing a key, as OpenAI does); '' = a fixed demo text. */
  failMessage: string;
  /** Destroy the socket instead of answering. */
  dropConnection: boolean;
  /** Delay between stream chunks. */
  chunkDelayMs: number;
  /** Never send usage, even when asked (to exercise local counting). */
  omitUsage: boolean;
  /** Words in each reply unless max_tokens is smaller. */
  replyWords: number;
  /** Answer past max_tokens, as a misbehaving provider might (to exercise a stream crossing a quota). */
  ignoreMaxTokens: boolean;
  /**
   * Answer `n` choices (chat and completions), generate `best_of` and return `n` of them (completions, billing
   * all), one set of choices per prompt of a prompt array; reject `n`/`best_of` outside 1–128 with a 400.
   * Off: one choice for the whole prompt, whatever was asked (a provider that ignores them).
   */
  honourN: boolean;
  /** End SSE lines with "\r\n" (events separated by "\r\n\r\n"), which the SSE spec allows. */
  crlf: boolean;
  /**
   * Put multi-byte characters in every reply, and write each stream event in two writes split inside one,
   * a moment apart, so they reach the client as separate chunks.
   */
  splitUtf8: boolean;
  /**
   * Pretty-print each event's JSON over several `data:` lines, give each event an `id:` line, and send a
   * `: keep-alive` comment between events (all valid SSE that a line-per-event parser gets wrong).
   */
  multilineData: boolean;
  /**
   * Chat answers with a function tool call (named after the request's tool) instead of text, always. Without
   * it, a chat turn that offers function tools gets a tool call unless tool_choice is "none" or the last
   * message is a tool's result.
   */
  toolCalls: boolean;
  /** Chat answers carry `reasoning_content` before the content, billed as completion (reasoning) tokens. */
  reasoning: boolean;
  /** A stream sends this many events, then nothing until the client goes away; -1 = off. */
  stallAfterChunks: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  latencyMs: 0,
  failStatus: 0,
  failCount: -1,
  failMessage: '',
  dropConnection: false,
  chunkDelayMs: 0,
  omitUsage: false,
  replyWords: 24,
  ignoreMaxTokens: false,
  honourN: true,
  crlf: false,
  splitUtf8: false,
  multilineData: false,
  toolCalls: false,
  reasoning: false,
  stallAfterChunks: -1,
};

// Values that would make the upstream do something other than the switch says.
const RANGES: Partial<Record<keyof Behaviour, [(v: number) => boolean, string]>> = {
  failStatus: [
    (v) => v === 0 || (Number.isInteger(v) && v >= 400 && v <= 599),
    '0 or a status from 400 to 599',
  ],
  stallAfterChunks: [(v) => Number.isInteger(v) && v >= -1, '-1 or a whole number'],
};

export function parseBehaviour(input: unknown, base: Behaviour): Behaviour | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'body must be an object';
  const next = { ...base };
  for (const [k, v] of Object.entries(input)) {
    if (!(k in DEFAULT_BEHAVIOUR)) return `unknown switch ${k}`;
    const expected = typeof DEFAULT_BEHAVIOUR[k as keyof Behaviour];
    if (typeof v !== expected) return `${k} must be a ${expected}`;
    const range = RANGES[k as keyof Behaviour];
    if (range && !range[0](v as number)) return `${k} must be ${range[1]}`;
    (next as Record<string, unknown>)[k] = v;
  }
  return next;
}

export interface Stats {
  requests: number;
  completed: number;
  /** Streams whose client went away before the end. */
  aborted: number;
  inFlight: number;
  /** The last inference request's `max_tokens`, as sent (null when absent), to check what a gateway forwards. */
  lastMaxTokens: unknown;
  /** The last inference request's `max_completion_tokens`, as sent (null when absent). */
  lastMaxCompletionTokens: unknown;
  /** The last inference request's `n`, as sent (null when absent). */
  lastN: unknown;
}

/** The counters resetStats puts back (inFlight is live, so it stays). */
export const RESET_STATS = {
  requests: 0,
  completed: 0,
  aborted: 0,
  lastMaxTokens: null,
  lastMaxCompletionTokens: null,
  lastN: null,
} satisfies Omit<Stats, 'inFlight'>;
