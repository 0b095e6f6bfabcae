// A chat choice as OpenAI shapes it: the whole message, or the deltas a stream carries it in.
import type { Choice } from './answers.js';
import { streamPieces } from './replies.js';

export function chatMessage(c: Choice) {
  if (c.toolCall) {
    const { id, name, arguments: args } = c.toolCall;
    return {
      role: 'assistant',
      content: null,
      ...(c.reasoning !== undefined ? { reasoning_content: c.reasoning } : {}),
      tool_calls: [{ id, type: 'function', function: { name, arguments: args } }],
      refusal: null,
    };
  }
  if (c.reasoning !== undefined)
    return { role: 'assistant', content: c.text, reasoning_content: c.reasoning, refusal: null };
  return { role: 'assistant', content: c.text, refusal: null };
}

/** Deltas in order: reasoning (content null, as DeepSeek sends it), then the tool call or the text. */
export function chatDeltas(c: Choice): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // Only a choice's first delta names the role.
  const role = () => (out.length === 0 ? { role: 'assistant' } : {});
  for (const piece of c.reasoning !== undefined ? streamPieces(c.reasoning) : [])
    out.push({ ...role(), content: null, reasoning_content: piece });
  if (c.toolCall) {
    const { id, name, arguments: args } = c.toolCall;
    out.push({
      ...role(),
      tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
    });
    for (const piece of streamPieces(args))
      out.push({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
  } else for (const piece of streamPieces(c.text)) out.push({ ...role(), content: piece });
  return out;
}

export const finishReason = (c: Choice) => (c.toolCall ? 'tool_calls' : 'stop');
