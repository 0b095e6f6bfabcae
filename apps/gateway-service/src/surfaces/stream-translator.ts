// A relayed stream in another surface's events: the SSE relay parses the provider's Chat Completions chunks
// and hands each to a translator, which answers the client's frames. Also what the translators share.
export interface StreamTranslator {
  /** One upstream chunk (parsed JSON): the client's SSE frames for it ('' for none). */
  chunk(json: Record<string, unknown>): string;
  /** The upstream's stream is over ([DONE] or its end): the closing frames, once. */
  end(): string;
}

/** One SSE frame with an event name, as Anthropic's and OpenAI's Responses streams carry them. */
export const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** A Chat Completions answer's or chunk's first choice (the translated surfaces ask for one answer only). */
export function firstChoice(
  json: Record<string, unknown>,
):
  | { delta?: Record<string, unknown>; message?: Record<string, unknown>; finish_reason?: unknown }
  | undefined {
  const choice: unknown = Array.isArray(json.choices) ? json.choices[0] : undefined;
  return choice && typeof choice === 'object' ? (choice as ReturnType<typeof firstChoice>) : undefined;
}
