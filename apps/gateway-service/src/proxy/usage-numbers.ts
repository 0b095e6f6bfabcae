// Usage reported by an upstream is billed only when it is sane; otherwise the gateway counts locally.
import { contentText, countChatTokens, countInputTokens, countTextTokens } from '@gw/tokenizer';
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

export function promptTokens(endpoint: UsageEndpoint, json: Record<string, unknown>): number {
  if (endpoint === 'chat.completions' || endpoint === 'generate') {
    return countChatTokens(Array.isArray(json.messages) ? json.messages : []);
  }
  return countInputTokens(endpoint === 'embeddings' ? json.input : json.prompt);
}

/** Completion tokens of a non-stream response body that carried no usage. */
export function completionTokensOf(response: Record<string, unknown>): number {
  const choices = Array.isArray(response.choices) ? response.choices : [];
  return choices.reduce<number>((sum, c: { message?: { content?: unknown }; text?: unknown }) => {
    return sum + countTextTokens(typeof c?.text === 'string' ? c.text : contentText(c?.message?.content));
  }, 0);
}
