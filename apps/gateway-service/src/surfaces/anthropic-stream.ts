// Chat Completions stream chunks → Anthropic's Messages stream events: message_start, then for each text run
// or tool call a content block (content_block_start, its deltas, content_block_stop), then message_delta with
// the stop reason and usage, and message_stop. Reasoning deltas have no Anthropic form without a signature
// and are not relayed (they are still billed: the relay counts what the provider sent).
import { messageId, stopReason } from './anthropic-response.js';
import { frame, type StreamTranslator } from './stream-translator.js';

type Json = Record<string, unknown>;

export class MessagesStream implements StreamTranslator {
  private started = false;
  private ended = false;
  /** The open content block: its index and kind, and for a tool call the chat tool index it carries. */
  private open: { index: number; kind: 'text' | 'tool'; tool?: number } | undefined;
  private blocks = 0;
  private finish: unknown;
  private usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;

  constructor(private readonly ctx: { model: string; requestId: string }) {}

  chunk(json: Json): string {
    let out = this.start();
    if (json.usage && typeof json.usage === 'object') this.usage = json.usage as typeof this.usage;
    const choice = (Array.isArray(json.choices) ? json.choices[0] : undefined) as
      { delta?: Json; finish_reason?: unknown } | undefined;
    if (!choice) return out;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      if (this.open?.kind !== 'text') out += this.openBlock('text', { type: 'text', text: '' });
      out += frame('content_block_delta', {
        type: 'content_block_delta',
        index: this.open!.index,
        delta: { type: 'text_delta', text: delta.content },
      });
    }
    const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : [];
    for (const call of calls) {
      const fn = (call.function ?? {}) as Json;
      const tool = typeof call.index === 'number' ? call.index : 0;
      if (this.open?.kind !== 'tool' || this.open.tool !== tool) {
        out += this.openBlock(
          'tool',
          {
            type: 'tool_use',
            id: typeof call.id === 'string' ? call.id : `toolu_${this.ctx.requestId}_${tool}`,
            name: typeof fn.name === 'string' ? fn.name : '',
            input: {},
          },
          tool,
        );
      }
      if (typeof fn.arguments === 'string' && fn.arguments)
        out += frame('content_block_delta', {
          type: 'content_block_delta',
          index: this.open!.index,
          delta: { type: 'input_json_delta', partial_json: fn.arguments },
        });
    }
    return out;
  }

  end(): string {
    if (this.ended) return '';
    this.ended = true;
    const u = this.usage ?? {};
    return (
      this.start() +
      this.closeBlock() +
      frame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.finish), stop_sequence: null },
        usage: {
          ...(typeof u.prompt_tokens === 'number' && { input_tokens: u.prompt_tokens }),
          output_tokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
        },
      }) +
      frame('message_stop', { type: 'message_stop' })
    );
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return frame('message_start', {
      type: 'message_start',
      message: {
        id: messageId(this.ctx.requestId),
        type: 'message',
        role: 'assistant',
        model: this.ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  private openBlock(kind: 'text' | 'tool', block: Json, tool?: number): string {
    const out = this.closeBlock();
    this.open = { index: this.blocks++, kind, tool };
    return (
      out +
      frame('content_block_start', {
        type: 'content_block_start',
        index: this.open.index,
        content_block: block,
      })
    );
  }

  private closeBlock(): string {
    if (!this.open) return '';
    const index = this.open.index;
    this.open = undefined;
    return frame('content_block_stop', { type: 'content_block_stop', index });
  }
}
