// The answer switches: tool calls, reasoning content, and failures with a chosen status and message.
import { countTextTokens } from '@gw/tokenizer';
import { sseJson, startUpstream } from './upstream-client.js';

const { control, post, json } = startUpstream();
const messages = [{ role: 'user', content: 'What is the weather?' }];
const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
const streamed = async (body: object) =>
  sseJson(
    await (
      await post('/v1/chat/completions', { ...body, stream: true, stream_options: { include_usage: true } })
    ).text(),
  );

describe('toolCalls', () => {
  it('answers a function call named after the request’s tool, billed for name and arguments', async () => {
    await control({ toolCalls: true });
    const r = await json('/v1/chat/completions', { model: 'gpt-4o', messages, tools });
    const [choice] = r.choices;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const [call] = choice.message.tool_calls;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call.id).toMatch(/^call_/);
    expect(typeof JSON.parse(call.function.arguments).answer).toBe('string');
    const billed = countTextTokens('get_weather') + countTextTokens(call.function.arguments);
    expect(r.usage.completion_tokens).toBe(billed);

    const events = await streamed({ model: 'gpt-4o', messages, tools });
    const deltas = events.filter((e) => e.choices.length > 0).map((e) => e.choices[0]);
    expect(deltas[0].delta).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { index: 0, id: call.id, type: 'function', function: { name: 'get_weather', arguments: '' } },
      ],
    });
    const pieces = deltas.slice(1, -1).map((d) => d.delta.tool_calls[0].function.arguments);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(call.function.arguments);
    expect(deltas[deltas.length - 1].finish_reason).toBe('tool_calls');
    expect(events[events.length - 1].usage.completion_tokens).toBe(billed);
  });

  it('keeps name and arguments within max_tokens', async () => {
    await control({ toolCalls: true });
    const r = await json('/v1/chat/completions', { model: 'gpt-4o', messages, tools, max_tokens: 12 });
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(12);
  });
});

describe('tools offered', () => {
  const weather = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { enum: ['c', 'f'] } },
          required: ['city'],
        },
      },
    },
  ];

  it('calls the offered tool with arguments shaped by its schema, the same each time', async () => {
    await control({});
    const first = await json('/v1/chat/completions', { model: 'gpt-4o', messages, tools: weather });
    const again = await json('/v1/chat/completions', { model: 'gpt-4o', messages, tools: weather });
    const call = first.choices[0].message.tool_calls[0];
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(args).toEqual({ city: expect.any(String), days: 42, unit: 'c' });
    expect(again.choices[0].message.tool_calls[0]).toEqual(call);
  });

  it('answers in text after the tool’s result, when tool_choice is none, and without tools', async () => {
    await control({});
    const call = (await json('/v1/chat/completions', { model: 'gpt-4o', messages, tools: weather }))
      .choices[0].message.tool_calls[0];
    const roundTrip = [
      ...messages,
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
    ];
    for (const body of [
      { messages: roundTrip, tools: weather },
      { messages, tools: weather, tool_choice: 'none' },
      { messages },
    ]) {
      const r = await json('/v1/chat/completions', { model: 'gpt-4o', ...body });
      expect(r.choices[0].finish_reason).toBe('stop');
      expect(r.choices[0].message.content).toEqual(expect.any(String));
    }
  });
});

describe('reasoning', () => {
  it('sends reasoning_content before the content and bills it as reasoning tokens', async () => {
    await control({ reasoning: true });
    const r = await json('/v1/chat/completions', { model: 'gpt-4o', messages });
    const { content, reasoning_content: reasoning } = r.choices[0].message;
    expect(reasoning.length).toBeGreaterThan(0);
    expect(reasoning).not.toBe(content);
    expect(r.usage).toMatchObject({
      completion_tokens: countTextTokens(reasoning) + countTextTokens(content),
      completion_tokens_details: { reasoning_tokens: countTextTokens(reasoning) },
    });

    const events = await streamed({ model: 'gpt-4o', messages });
    const deltas = events.filter((e) => e.choices.length > 0).map((e) => e.choices[0].delta);
    const kinds = deltas.map((d) => (d.reasoning_content !== undefined ? 'r' : d.content ? 'c' : '-'));
    expect(kinds.join('')).toMatch(/^r+c+-$/);
    expect(deltas[0].role).toBe('assistant');
    expect(deltas.map((d) => d.reasoning_content ?? '').join('')).toBe(reasoning);
    expect(deltas.map((d) => d.content ?? '').join('')).toBe(content);
    expect(events[events.length - 1].usage).toEqual(r.usage);
  });

  it('counts reasoning against max_tokens', async () => {
    await control({ reasoning: true });
    const r = await json('/v1/chat/completions', { model: 'gpt-4o', messages, max_completion_tokens: 10 });
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(10);
    expect(r.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });
});

describe('failMessage', () => {
  it('answers a 4xx failure whose message is the one given', async () => {
    const message = 'Incorrect API key provided: sk-proj-AbCdEf0123456789. You can find your API key at …';
    await control({ failStatus: 401, failMessage: message });
    const r = await post('/v1/chat/completions', { model: 'gpt-4o', messages });
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error).toMatchObject({ message, type: 'invalid_request_error' });
  });

  it('refuses a failStatus that is not an error status', async () => {
    expect((await control({ failStatus: 200 })).error.message).toMatch(/failStatus must be/);
    expect((await control({ stallAfterChunks: -2 })).error.message).toMatch(/stallAfterChunks must be/);
  });
});
