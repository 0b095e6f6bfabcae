// Relays an upstream SSE stream event by event: decodes UTF-8 across chunk boundaries, parses with
// eventsource-parser, learns usage and a bounded sample of the delivered text on the way, and drops the
// usage-only event the gateway asked for when the client did not.
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { contentText, EXACT_COUNT_CHARS, TokenCounter } from '@gw/tokenizer';
import type { NativeStreamMeter } from '../surfaces/native.js';
import type { StreamTranslator } from '../surfaces/stream-translator.js';

const JSON_OBJECT = /^\s*\{/;

export class SseRelay {
  /** The last sane-looking usage object an event carried (as today: json.usage when truthy). */
  usage: unknown;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;
  private out = '';
  /** The text fed so far ended in CR, so an LF starting the next text ends the same line. */
  private cr = false;
  private deliveredChars = 0;
  /** Every `stride`-th delivered piece, at most EXACT_COUNT_CHARS in all: spans the whole stream. */
  private sample: string[] = [];
  private sampleChars = 0;
  private stride = 1;
  private pieces = 0;

  private readonly addPiece = (piece: unknown) => this.add(piece);

  /**
   * `translator`: the client speaks another surface; each JSON event goes to it and its frames go out instead
   * (comments and retry hints still pass). `meter`: the provider speaks the client's own surface (Responses or
   * Messages); every event passes unchanged and the meter reads its usage.
   */
  constructor(
    private readonly clientWantsUsage: boolean,
    private readonly translator?: StreamTranslator,
    private readonly meter?: NativeStreamMeter,
  ) {
    this.parser = createParser({
      onEvent: (event) => this.event(event),
      onComment: (comment) => {
        this.out += `:${comment}\n\n`; // keep-alives must reach the client
      },
      onRetry: (ms) => {
        this.out += `retry: ${ms}\n\n`;
      },
      // Unknown lines (an upstream's bare error JSON, say) pass through as before; SSE clients ignore them.
      onError: (error) => {
        if (error.type === 'unknown-field' && error.line !== undefined) this.out += `${error.line}\n`;
      },
    });
  }

  /** Raw upstream bytes in; what to write to the client now (complete events only), '' when nothing. */
  push(chunk: Uint8Array | string): string {
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    return this.take();
  }

  /** The upstream ended: flush decoder and parser (an unterminated last event is still delivered). */
  end(): string {
    this.feed(this.decoder.decode());
    this.feed('\n\n'); // ends a last line and dispatches a last event that lacked its blank line
    this.parser.reset();
    if (this.translator) this.out += this.translator.end();
    return this.take();
  }

  /** Completion tokens delivered so far, estimated from a bounded sample; computed lazily, only when called. */
  completionEstimate(): number {
    if (this.sampleChars === 0) return 0;
    const sampled = new TokenCounter().estimate(this.sample.join(''));
    return Math.ceil((sampled * this.deliveredChars) / this.sampleChars);
  }

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  /**
   * Feeds the parser LF-only text: CR and CRLF become LF here, so that an event ending in CR completes now
   * rather than when the next chunk shows whether an LF follows (the parser waits for it).
   */
  private feed(text: string): void {
    if (!text) return;
    if (this.cr && text.charCodeAt(0) === 10) {
      this.cr = false;
      text = text.slice(1);
      if (!text) return;
    }
    this.cr = text.charCodeAt(text.length - 1) === 13;
    this.parser.feed(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);
  }

  private event(e: EventSourceMessage): void {
    if (this.translator) {
      const json = this.parse(e.data);
      if (json) {
        this.learn(json);
        this.out += this.translator.chunk(json);
      } else if (e.data.trim() === '[DONE]') this.out += this.translator.end();
      return;
    }
    if (this.meter) {
      const json = this.parse(e.data);
      if (json) {
        this.meter.learn(json, this.addPiece);
        this.usage = this.meter.usage;
      }
    } else if (!this.inspect(e.data)) return;
    let frame = e.event === undefined ? '' : `event: ${e.event}\n`;
    if (e.id !== undefined) frame += `id: ${e.id}\n`;
    this.out += `${frame}data: ${e.data.replaceAll('\n', '\ndata: ')}\n\n`;
  }

  /** An event's data as a JSON object, or undefined ([DONE], or not JSON). */
  private parse(data: string): Record<string, unknown> | undefined {
    if (!JSON_OBJECT.test(data)) return undefined;
    try {
      const json: unknown = JSON.parse(data);
      return json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Learns usage and delivered text from a JSON event; whether it carried choices. */
  private learn(json: Record<string, unknown>): boolean {
    const { usage, choices } = json as { usage?: unknown; choices?: unknown };
    const hasChoices = Array.isArray(choices) && choices.length > 0;
    if (hasChoices) for (const choice of choices) this.collect(choice);
    if (usage) this.usage = usage;
    return hasChoices;
  }

  /** Learns from a JSON event; false for the usage-only event the client did not ask for. */
  private inspect(data: string): boolean {
    const json = this.parse(data);
    if (!json) return true; // [DONE], or not JSON: passes through untouched
    const hasChoices = this.learn(json);
    return !json.usage || this.clientWantsUsage || hasChoices;
  }

  /** Every kind of text a choice delivers: content, legacy text, tool calls, reasoning, refusals. */
  private collect(choice: unknown): void {
    if (!choice || typeof choice !== 'object') return;
    const { text, delta } = choice as { text?: unknown; delta?: unknown };
    this.add(text);
    if (!delta || typeof delta !== 'object') return;
    const d = delta as Record<string, unknown>;
    this.add(contentText(d.content));
    this.add(d.reasoning_content);
    this.add(d.reasoning);
    this.add(d.refusal);
    if (!Array.isArray(d.tool_calls)) return;
    for (const call of d.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[]) {
      this.add(call?.function?.name);
      this.add(call?.function?.arguments);
    }
  }

  private add(piece: unknown): void {
    if (typeof piece !== 'string' || piece.length === 0) return;
    this.deliveredChars += piece.length;
    if (this.pieces++ % this.stride !== 0) return;
    const part = piece.length > EXACT_COUNT_CHARS ? piece.slice(0, EXACT_COUNT_CHARS) : piece;
    this.sample.push(part);
    this.sampleChars += part.length;
    // Full: keep every other piece and sample half as often from now on (amortized linear).
    while (this.sampleChars > EXACT_COUNT_CHARS) {
      this.sample = this.sample.filter((_, i) => i % 2 === 0);
      this.sampleChars = this.sample.reduce((n, p) => n + p.length, 0);
      this.stride *= 2;
    }
  }
}
