// Chat Completions stream chunks → Anthropic's Messages stream events: message_start, the text as it comes
// (one content block of text_delta events), each tool call as a tool_use block (gathered per call, so
// interleaved parallel calls stay apart, and sent whole when the provider is done), then message_delta with
// the stop reason and usage, and message_stop. A provider error mid-stream, or a stream that ends without a
// finish reason, ends in Anthropic's `error` event instead: a cut answer never looks complete. Reasoning
// deltas have no Anthropic form without a signature and are not relayed (they are still billed).
import { messageId, stopReason, toolUseId } from './anthropic-response.js';
import { firstChoice, frame, type StreamTranslator } from './stream-translator.js';
import { ToolCallSlots } from './tool-call-slots.js';

type Json = Record<string, unknown>;

export class MessagesStream implements StreamTranslator {
  private started = false;
  private ended = false;
  private textBlock: number | undefined;
  private blocks = 0;
  private finish: unknown;
  private usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  private readonly tools = new ToolCallSlots();

  constructor(private readonly ctx: { model: string; requestId: string }) {}

  chunk(json: Json): string {
    if (this.ended) return '';
    let out = this.start();
    if (json.error) return out + this.fail('The provider reported an error during the answer.');
    if (json.usage && typeof json.usage === 'object') this.usage = json.usage as typeof this.usage;
    const choice = firstChoice(json);
    if (!choice) return out;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      if (this.textBlock === undefined) {
        this.textBlock = this.blocks++;
        out += frame('content_block_start', {
          type: 'content_block_start',
          index: this.textBlock,
          content_block: { type: 'text', text: '' },
        });
      }
      out += frame('content_block_delta', {
        type: 'content_block_delta',
        index: this.textBlock,
        delta: { type: 'text_delta', text: delta.content },
      });
    }
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls as Json[]) this.tools.add(call);
    return out;
  }

  end(): string {
    if (this.ended) return '';
    let out = this.start();
    if (this.finish === undefined) return out + this.fail('The provider ended the answer early.');
    this.ended = true;
    if (this.textBlock !== undefined)
      out += frame('content_block_stop', { type: 'content_block_stop', index: this.textBlock });
    this.tools.all().forEach((call, n) => {
      const index = this.blocks++;
      out += frame('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: {
          type: 'tool_use',
          id: call.id ?? toolUseId(this.ctx.requestId, n),
          name: call.name,
          input: {},
        },
      });
      if (call.arguments)
        out += frame('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: call.arguments },
        });
      out += frame('content_block_stop', { type: 'content_block_stop', index });
    });
    const u = this.usage ?? {};
    return (
      out +
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

  /** Anthropic's error event ends the stream; nothing follows it. */
  private fail(message: string): string {
    this.ended = true;
    return frame('error', { type: 'error', error: { type: 'api_error', message } });
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
}
