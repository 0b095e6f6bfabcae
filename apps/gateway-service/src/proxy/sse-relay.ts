// Relays an upstream SSE stream frame by frame: learns usage and the delivered text on the way, and drops
// the usage-only frame the gateway asked for when the client did not.
export class SseRelay {
  private pending = '';
  usage: unknown;
  /** Text delivered to the client so far, for a local count when no usage arrives. */
  delivered = '';

  constructor(private readonly clientWantsUsage: boolean) {}

  /** Returns what to write to the client now (complete frames only). */
  push(chunk: string): string {
    this.pending += chunk;
    const end = this.pending.lastIndexOf('\n\n');
    if (end < 0) return '';
    const complete = this.pending.slice(0, end + 2);
    this.pending = this.pending.slice(end + 2);
    let out = '';
    for (const frame of complete.split('\n\n')) {
      if (!frame) continue;
      out += this.frame(frame);
    }
    return out;
  }

  /** Whatever is left at the end of the stream (an unterminated last frame). */
  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest ? this.frame(rest) : '';
  }

  private frame(frame: string): string {
    const data = frame.startsWith('data: ')
      ? frame.slice(6)
      : frame.startsWith('data:')
        ? frame.slice(5)
        : undefined;
    if (data === undefined || data.trim() === '[DONE]' || data[0] !== '{') return frame + '\n\n';
    let json: { usage?: unknown; choices?: { delta?: { content?: unknown }; text?: unknown }[] };
    try {
      json = JSON.parse(data);
    } catch {
      return frame + '\n\n';
    }
    for (const c of json.choices ?? []) {
      const piece =
        typeof c?.delta?.content === 'string' ? c.delta.content : typeof c?.text === 'string' ? c.text : '';
      this.delivered += piece;
    }
    if (json.usage) {
      this.usage = json.usage;
      if (!this.clientWantsUsage && (json.choices?.length ?? 0) === 0) return '';
    }
    return frame + '\n\n';
  }
}
