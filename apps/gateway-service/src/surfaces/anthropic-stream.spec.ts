import { chatToMessage } from './anthropic-response.js';
import { MessagesStream } from './anthropic-stream.js';

/** The frames as [event, data] pairs. */
const events = (sse: string) =>
  sse
    .split('\n\n')
    .filter(Boolean)
    .map((f) => {
      const [e, d] = f.split('\n');
      return [e.slice('event: '.length), JSON.parse(d.slice('data: '.length))] as [string, any];
    });

describe('MessagesStream', () => {
  it('frames text, then a tool call, as content blocks with stop reason and usage at the end', () => {
    const s = new MessagesStream({ model: 'm', requestId: 'r-1' });
    let out = s.chunk({ choices: [{ delta: { role: 'assistant', content: 'Hel' } }] });
    out += s.chunk({ choices: [{ delta: { content: 'lo' } }] });
    out += s.chunk({
      choices: [{ delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'w', arguments: '' } }] } }],
    });
    out += s.chunk({
      choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] } }],
    });
    out += s.chunk({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }] });
    out += s.chunk({ choices: [{ delta: {}, finish_reason: 'tool_calls' }] });
    out += s.chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 9 } });
    out += s.end();
    expect(s.end()).toBe('');
    const got = events(out);
    expect(got.map(([e]) => e)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(got[0][1].message).toMatchObject({ id: 'msg_r-1', model: 'm', role: 'assistant', content: [] });
    expect(got[5][1]).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'c1', name: 'w', input: {} },
    });
    expect(got[6][1].delta).toEqual({ type: 'input_json_delta', partial_json: '{"a":1}' });
    expect(got[8][1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 7, output_tokens: 9 },
    });
  });

  it('keeps interleaved parallel calls apart, and calls without an index apart by id', () => {
    const s = new MessagesStream({ model: 'm', requestId: 'r' });
    const call = (
      index: number | undefined,
      id: string | undefined,
      name: string | undefined,
      args: string,
    ) => ({
      choices: [
        {
          delta: {
            tool_calls: [{ ...(index !== undefined && { index }), id, function: { name, arguments: args } }],
          },
        },
      ],
    });
    let out = s.chunk(call(0, 'a', 'w', '{"x":'));
    out += s.chunk(call(1, 'b', 'v', '{"y":'));
    out += s.chunk(call(0, undefined, undefined, '1}'));
    out += s.chunk(call(1, undefined, undefined, '2}'));
    out += s.chunk(call(undefined, 'c', 'u', '{}'));
    out += s.chunk(call(undefined, 'd', 'u', '{}'));
    out += s.chunk({ choices: [{ delta: {}, finish_reason: 'tool_calls' }] });
    out += s.end();
    const starts = events(out)
      .filter(([e]) => e === 'content_block_start')
      .map(([, d]) => d.content_block);
    const args = events(out)
      .filter(([e]) => e === 'content_block_delta')
      .map(([, d]) => d.delta.partial_json);
    expect(starts.map((b) => [b.id, b.name])).toEqual([
      ['a', 'w'],
      ['b', 'v'],
      ['c', 'u'],
      ['d', 'u'],
    ]);
    expect(args).toEqual(['{"x":1}', '{"y":2}', '{}', '{}']);
  });

  it('ends in an error event when the provider errs or stops without a finish reason', () => {
    const cut = new MessagesStream({ model: 'm', requestId: 'r' });
    const text = cut.chunk({ choices: [{ delta: { content: 'Hal' } }] }) + cut.end();
    expect(events(text).map(([e]) => e)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'error',
    ]);
    const erred = new MessagesStream({ model: 'm', requestId: 'r' });
    const out =
      erred.chunk({ error: { message: 'boom' } }) +
      erred.chunk({ choices: [{ delta: { content: 'x' } }] }) +
      erred.end();
    expect(events(out).map(([e]) => e)).toEqual(['message_start', 'error']);
  });
});

describe('chatToMessage', () => {
  it('maps content, tool calls (bad arguments as {}), stop reason and usage', () => {
    const message = chatToMessage(
      {
        choices: [
          {
            message: {
              content: 'Sure.',
              tool_calls: [
                { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } },
                { id: 'c2', type: 'function', function: { name: 'v', arguments: 'not json' } },
              ],
            },
            finish_reason: 'length',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4 },
      },
      { model: 'm', requestId: 'abc' },
    );
    expect(message).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'c1', name: 'w', input: { city: 'Oslo' } },
        { type: 'tool_use', id: 'c2', name: 'v', input: {} },
      ],
      stop_reason: 'max_tokens',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 4 },
    });
  });
});
