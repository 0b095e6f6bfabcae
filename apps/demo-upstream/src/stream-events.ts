// The events of a streamed answer, in order, before they are framed as SSE.
import type { Choice, Usage } from './answers.js';
import { chatDeltas, finishReason } from './chat-shapes.js';
import { streamPieces } from './replies.js';

export interface StreamEvent {
  /** A chunk object, or the literal [DONE]. */
  data: unknown;
  /** Whether chunkDelayMs comes before it. */
  delayed: boolean;
}

/** `frame` wraps a chunk's choices (and extra fields) in the chunk envelope; `usage` only when asked for. */
export function streamEvents(
  kind: 'chat' | 'text',
  choices: Choice[],
  frame: (choices: unknown[], extra?: Record<string, unknown>) => unknown,
  usage: Usage | undefined,
): StreamEvent[] {
  const deltas = choices.map((c) =>
    kind === 'chat'
      ? chatDeltas(c).map((delta) => ({ index: c.index, delta, logprobs: null, finish_reason: null }))
      : streamPieces(c.text).map((text) => ({ index: c.index, text, logprobs: null, finish_reason: null })),
  );
  // Choices' deltas interleave, a round at a time, as OpenAI's do; the delay comes between rounds.
  const events: StreamEvent[] = [];
  for (let round = 0; deltas.some((d) => round < d.length); round++) {
    const due = deltas.filter((d) => round < d.length);
    due.forEach((d, i) => events.push({ data: frame([d[round]]), delayed: round > 0 && i === 0 }));
  }
  for (const c of choices) {
    const stop =
      kind === 'chat'
        ? { index: c.index, delta: {}, logprobs: null, finish_reason: finishReason(c) }
        : { index: c.index, text: '', logprobs: null, finish_reason: 'stop' };
    events.push({ data: frame([stop]), delayed: false });
  }
  if (usage) events.push({ data: frame([], { usage }), delayed: false });
  events.push({ data: '[DONE]', delayed: false });
  return events;
}
