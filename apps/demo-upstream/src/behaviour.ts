// Switches a test or an operator flips at run time (POST /__control) to make the upstream misbehave.
export interface Behaviour {
  /** Added before answering (and before the first chunk of a stream). */
  latencyMs: number;
  /** Answer this HTTP status (5xx) instead of a completion; 0 = answer normally. */
  failStatus: number;
  /** How many requests the failure applies to; -1 = all until reset. */
  failCount: number;
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
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  latencyMs: 0,
  failStatus: 0,
  failCount: -1,
  dropConnection: false,
  chunkDelayMs: 0,
  omitUsage: false,
  replyWords: 24,
  ignoreMaxTokens: false,
};

export function parseBehaviour(input: unknown, base: Behaviour): Behaviour | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'body must be an object';
  const next = { ...base };
  for (const [k, v] of Object.entries(input)) {
    if (!(k in DEFAULT_BEHAVIOUR)) return `unknown switch ${k}`;
    const expected = typeof DEFAULT_BEHAVIOUR[k as keyof Behaviour];
    if (typeof v !== expected) return `${k} must be a ${expected}`;
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
}
