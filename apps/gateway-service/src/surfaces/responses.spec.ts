import { responsesToChat } from './responses-request.js';
import { chatToResponse } from './responses-response.js';
import { ResponsesStream } from './responses-stream.js';

const translate = (body: unknown) => {
  const r = responsesToChat(body);
  if ('error' in r) throw new Error(r.error.message);
  return r;
};
const param = (body: unknown) => {
  const r = responsesToChat(body);
  return 'error' in r ? r.error.param : undefined;
};

describe('responsesToChat', () => {
  it('maps instructions, items, function calls and outputs, tools, choice, format and the cap', () => {
    const { chat, echo } = translate({
      model: 'm',
      instructions: 'Be brief.',
      max_output_tokens: 30,
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{"city":"Rome"}' },
        { type: 'function_call', call_id: 'c2', name: 'w', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        { type: 'reasoning', id: 'r', summary: [] },
      ],
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'w' },
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } },
    });
    expect(chat).toEqual({
      model: 'm',
      max_tokens: 30,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Rome"}' } },
            { id: 'c2', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'w' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
      },
    });
    expect(echo).toMatchObject({
      instructions: 'Be brief.',
      max_output_tokens: 30,
      parallel_tool_calls: true,
    });
  });

  it('refuses state, built-in tools and unknown items by name', () => {
    const base = { model: 'm', input: 'x' };
    expect(param({ ...base, previous_response_id: 'r' })).toBe('previous_response_id');
    expect(param({ ...base, store: true })).toBe('store');
    expect(translate({ ...base, store: false }).chat.messages).toEqual([{ role: 'user', content: 'x' }]);
    expect(param({ ...base, background: true })).toBe('background');
    expect(param({ ...base, tools: [{ type: 'file_search' }] })).toBe('tools.0.type');
    expect(param({ ...base, input: [{ type: 'computer_call' }] })).toBe('input.0.type');
    expect(
      param({ ...base, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }),
    ).toBe('input.0.content.0.type');
    expect(param({ ...base, max_output_tokens: 0 })).toBe('max_output_tokens');
    expect(param({ model: 'm' })).toBe('input');
  });
});

describe('chatToResponse and ResponsesStream', () => {
  const ctx = {
    model: 'm',
    requestId: 'q1',
    createdAt: 100,
    echo: translate({ model: 'm', input: 'x' }).echo,
  };

  it('answers text and calls as output items, a cut answer as incomplete', () => {
    const r = chatToResponse(
      {
        choices: [
          {
            message: { content: 'Hi', tool_calls: [{ id: 'c', function: { name: 'w', arguments: '{}' } }] },
            finish_reason: 'length',
          },
        ],
        usage: { prompt_tokens: 2, completion_tokens: 3 },
      },
      ctx,
    );
    expect(r).toMatchObject({
      id: 'resp_q1',
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'function_call', call_id: 'c', name: 'w', arguments: '{}' },
      ],
      usage: { input_tokens: 2, output_tokens: 3, total_tokens: 5 },
    });
  });

  it('streams items in order with increasing sequence numbers', () => {
    const s = new ResponsesStream(ctx);
    let out = s.chunk({ choices: [{ delta: { content: 'He' } }] });
    out += s.chunk({ choices: [{ delta: { content: 'y' } }] });
    out += s.chunk({
      choices: [{ delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'w', arguments: '{}' } }] } }],
    });
    out += s.chunk({
      choices: [{ delta: {}, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    });
    out += s.end();
    const events = out
      .split('\n\n')
      .filter(Boolean)
      .map((f) => JSON.parse(f.split('\n')[1].slice(6)));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events[events.length - 1].response;
    expect(done.output).toMatchObject([
      { type: 'message', content: [{ text: 'Hey' }] },
      { type: 'function_call', arguments: '{}' },
    ]);
    expect(done.usage).toMatchObject({ input_tokens: 1, output_tokens: 2 });
  });

  it('fails a stream the provider cut or erred in, and never answers null usage', () => {
    const s = new ResponsesStream(ctx);
    const out = s.chunk({ choices: [{ delta: { content: 'Hal' } }] }) + s.end();
    const last = JSON.parse(out.trim().split('\n\n').pop()!.split('\n')[1].slice(6));
    expect(last).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'server_error' } },
    });
    const plain = chatToResponse({ choices: [{ message: { content: 'x' }, finish_reason: 'stop' }] }, ctx);
    expect(plain.usage).toEqual({
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    });
  });
});
