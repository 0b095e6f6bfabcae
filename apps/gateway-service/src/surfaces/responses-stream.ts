// Chat Completions stream chunks → the Responses API's stream events: response.created and .in_progress; the
// text as it comes (one message item: output_item.added, content_part.added, output_text.delta …, then
// output_text.done, content_part.done, output_item.done); each tool call as a function_call item (gathered
// per call, so interleaved parallel calls stay apart, and sent whole when the provider is done); then
// response.completed (or .incomplete at the cap) with usage. A provider error mid-stream, or a stream that
// ends without a finish reason, ends in response.failed: a cut answer never looks complete. Every event
// carries a consecutive sequence_number.
import {
  functionCallItem,
  messageItem,
  messageItemId,
  responseObject,
  type ResponsesContext,
  responsesUsage,
} from './responses-response.js';
import { firstChoice, frame, type StreamTranslator } from './stream-translator.js';
import { ToolCallSlots } from './tool-call-slots.js';

type Json = Record<string, unknown>;

export class ResponsesStream implements StreamTranslator {
  private seq = 0;
  private started = false;
  private ended = false;
  /** The message item's text so far; undefined until the first text arrives. */
  private text: string | undefined;
  private finish: unknown;
  private usage: unknown;
  private readonly tools = new ToolCallSlots();

  constructor(private readonly ctx: ResponsesContext) {}

  private emit(type: string, data: Json): string {
    return frame(type, { type, sequence_number: this.seq++, ...data });
  }

  chunk(json: Json): string {
    if (this.ended) return '';
    let out = this.start();
    if (json.error) return out + this.fail('The provider reported an error during the answer.');
    if (json.usage) this.usage = json.usage;
    const choice = firstChoice(json);
    if (!choice) return out;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      if (this.text === undefined) {
        this.text = '';
        out +=
          this.emit('response.output_item.added', {
            output_index: 0,
            item: messageItem(this.ctx.requestId, [], 'in_progress'),
          }) +
          this.emit('response.content_part.added', {
            ...this.at(),
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          });
      }
      this.text += delta.content;
      out += this.emit('response.output_text.delta', { ...this.at(), delta: delta.content, logprobs: [] });
    }
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls as Json[]) this.tools.add(call);
    return out;
  }

  end(): string {
    if (this.ended) return '';
    let out = this.start();
    if (this.finish === undefined) return out + this.fail('The provider ended the answer early.');
    this.ended = true;
    const output: Json[] = [];
    if (this.text !== undefined) {
      const part = { type: 'output_text', text: this.text, annotations: [], logprobs: [] };
      out += this.emit('response.output_text.done', { ...this.at(), text: this.text, logprobs: [] });
      out += this.emit('response.content_part.done', { ...this.at(), part });
      const item = messageItem(this.ctx.requestId, [part]);
      out += this.emit('response.output_item.done', { output_index: 0, item });
      output.push(item);
    }
    this.tools.all().forEach((call, n) => {
      const index = output.length;
      const item = functionCallItem(this.ctx.requestId, n, call);
      out += this.emit('response.output_item.added', {
        output_index: index,
        item: { ...item, arguments: '', status: 'in_progress' },
      });
      if (call.arguments)
        out += this.emit('response.function_call_arguments.delta', {
          item_id: item.id,
          output_index: index,
          delta: call.arguments,
        });
      out += this.emit('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: index,
        name: call.name,
        arguments: call.arguments,
      });
      out += this.emit('response.output_item.done', { output_index: index, item });
      output.push(item);
    });
    // An answer with nothing in it is still one (empty) message, as the non-stream answer says.
    if (!output.length) output.push(messageItem(this.ctx.requestId, []));
    const response = responseObject(this.ctx, {
      status: 'completed',
      output,
      usage: responsesUsage(this.usage),
      finish: this.finish,
    });
    return (
      out +
      this.emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response })
    );
  }

  private at() {
    return { item_id: messageItemId(this.ctx.requestId), output_index: 0, content_index: 0 };
  }

  /** response.failed ends the stream; nothing follows it. */
  private fail(message: string): string {
    this.ended = true;
    const response = responseObject(this.ctx, {
      status: 'failed',
      output: [],
      usage: responsesUsage(this.usage),
      error: { code: 'server_error', message },
    });
    return this.emit('response.failed', { response });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseObject(this.ctx, { status: 'in_progress', output: [], usage: null });
    return this.emit('response.created', { response }) + this.emit('response.in_progress', { response });
  }
}
