// Chat Completions stream chunks → the Responses API's stream events: response.created and .in_progress,
// then per output item (the message's text, each function call) output_item.added, its part or argument
// deltas and their .done events, output_item.done, and response.completed (or .incomplete) with usage.
// Every event carries a sequence_number.
import {
  functionItemId,
  messageItemId,
  responseObject,
  type ResponsesContext,
  responsesUsage,
} from './responses-response.js';
import { frame, type StreamTranslator } from './stream-translator.js';

type Json = Record<string, unknown>;

interface OpenItem {
  index: number;
  kind: 'message' | 'call';
  /** Chat's tool index, for a call. */
  tool?: number;
  item: Json;
  text: string;
}

export class ResponsesStream implements StreamTranslator {
  private seq = 0;
  private started = false;
  private ended = false;
  private open: OpenItem | undefined;
  private readonly done: Json[] = [];
  private calls = 0;
  private finish: unknown;
  private usage: unknown;

  constructor(private readonly ctx: ResponsesContext) {}

  private emit(type: string, data: Json): string {
    return frame(type, { type, sequence_number: this.seq++, ...data });
  }

  chunk(json: Json): string {
    let out = this.start();
    if (json.usage) this.usage = json.usage;
    const choice = (Array.isArray(json.choices) ? json.choices[0] : undefined) as
      { delta?: Json; finish_reason?: unknown } | undefined;
    if (!choice) return out;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      if (this.open?.kind !== 'message') out += this.openMessage();
      const o = this.open!;
      o.text += delta.content;
      out += this.emit('response.output_text.delta', {
        item_id: o.item.id,
        output_index: o.index,
        content_index: 0,
        delta: delta.content,
        logprobs: [],
      });
    }
    for (const call of Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : []) {
      const fn = (call.function ?? {}) as Json;
      const tool = typeof call.index === 'number' ? call.index : 0;
      if (this.open?.kind !== 'call' || this.open.tool !== tool) out += this.openCall(call, fn, tool);
      if (typeof fn.arguments === 'string' && fn.arguments) {
        const o = this.open!;
        o.text += fn.arguments;
        out += this.emit('response.function_call_arguments.delta', {
          item_id: o.item.id,
          output_index: o.index,
          delta: fn.arguments,
        });
      }
    }
    return out;
  }

  end(): string {
    if (this.ended) return '';
    this.ended = true;
    let out = this.start() + this.close();
    const response = responseObject(this.ctx, {
      status: 'completed',
      output: this.done,
      usage: responsesUsage(this.usage),
      finish: this.finish,
    });
    out += this.emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
      response,
    });
    return out;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseObject(this.ctx, { status: 'in_progress', output: [], usage: null });
    return this.emit('response.created', { response }) + this.emit('response.in_progress', { response });
  }

  private openMessage(): string {
    const out = this.close();
    const item = {
      type: 'message',
      id: messageItemId(this.ctx.requestId),
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    this.open = { index: this.done.length, kind: 'message', item, text: '' };
    return (
      out +
      this.emit('response.output_item.added', { output_index: this.open.index, item }) +
      this.emit('response.content_part.added', {
        item_id: item.id,
        output_index: this.open.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      })
    );
  }

  private openCall(call: Json, fn: Json, tool: number): string {
    const out = this.close();
    const id = functionItemId(this.ctx.requestId, this.calls++);
    const item = {
      type: 'function_call',
      id,
      call_id: typeof call.id === 'string' ? call.id : id,
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: '',
      status: 'in_progress',
    };
    this.open = { index: this.done.length, kind: 'call', tool, item, text: '' };
    return out + this.emit('response.output_item.added', { output_index: this.open.index, item });
  }

  private close(): string {
    const o = this.open;
    if (!o) return '';
    this.open = undefined;
    let out = '';
    let item: Json;
    if (o.kind === 'message') {
      const part = { type: 'output_text', text: o.text, annotations: [], logprobs: [] };
      const at = { item_id: o.item.id, output_index: o.index, content_index: 0 };
      out += this.emit('response.output_text.done', { ...at, text: o.text, logprobs: [] });
      out += this.emit('response.content_part.done', { ...at, part });
      item = { ...o.item, status: 'completed', content: [part] };
    } else {
      out += this.emit('response.function_call_arguments.done', {
        item_id: o.item.id,
        output_index: o.index,
        name: o.item.name,
        arguments: o.text,
      });
      item = { ...o.item, arguments: o.text, status: 'completed' };
    }
    this.done.push(item);
    return out + this.emit('response.output_item.done', { output_index: o.index, item });
  }
}
