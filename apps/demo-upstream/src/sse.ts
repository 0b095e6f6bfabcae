// Server-sent events on the wire, in the framings real providers and proxies use (see behaviour.ts).
export interface SseStyle {
  crlf: boolean;
  multilineData: boolean;
}

/** One event carrying `data` (an object as JSON, or a literal such as [DONE]); `seq` counts from 1. */
export function sseEvent(data: unknown, seq: number, style: SseStyle): string {
  const eol = style.crlf ? '\r\n' : '\n';
  const text =
    typeof data === 'string' ? data : JSON.stringify(data, null, style.multilineData ? 2 : undefined);
  const lines = text.split('\n').map((line) => `data: ${line}`);
  if (style.multilineData) {
    lines.unshift(`id: ${seq}`);
    // A comment-only block dispatches no event: a parser that takes every block for data trips on it.
    if (seq > 1) lines.unshift(': keep-alive', '');
  }
  return lines.join(eol) + eol + eol;
}

/** Where to cut an event so the first part ends inside a multi-byte character (mid-event when it has none). */
export function splitPoint(bytes: Buffer): number {
  const lead = bytes.findIndex((b) => b >= 0xc0);
  return lead >= 0 ? lead + 1 : Math.floor(bytes.length / 2);
}
