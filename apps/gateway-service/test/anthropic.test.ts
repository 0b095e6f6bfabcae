// Anthropic's Messages API (/v1/messages) through Anthropic's own SDK, translated to Chat Completions for an
// OpenAI-style provider: text, a tool round trip, streaming, errors as the SDK's own classes, count_tokens,
// and the usage each request bills.
import Anthropic from '@anthropic-ai/sdk';
import { type DemoGateway, startDemoGateway, waitForUsage } from './harness.js';

let demo: DemoGateway;
let gw: DemoGateway['gw'];
let claude: Anthropic;
let key: { key: string; id: string };

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

beforeAll(async () => {
  demo = await startDemoGateway();
  ({ gw } = demo);
  key = demo.key;
  claude = new Anthropic({ baseURL: gw.url, apiKey: key.key, maxRetries: 0, timeout: 10_000 });
}, 60_000);
afterAll(async () => {
  await demo?.stop();
});

/** The usage event of the request that answered with this request id. */
async function usageOf(requestId: string, since: Date) {
  return (await waitForUsage(since, [requestId])).get(requestId)!;
}

describe('POST /v1/messages with Anthropic’s SDK', () => {
  it('answers text with usage, billed as its usage says', async () => {
    const since = new Date();
    const { data, response } = await claude.messages
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 200,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Say something' }],
      })
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini',
      stop_reason: 'end_turn',
    });
    expect(data.content[0]).toMatchObject({ type: 'text', text: expect.any(String) });
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    const event = await usageOf(response.headers.get('x-request-id')!, since);
    expect(event).toMatchObject({
      endpoint: 'messages',
      model: 'gpt-4o-mini',
      promptTokens: data.usage.input_tokens,
      completionTokens: data.usage.output_tokens,
      stream: false,
      estimated: false,
    });
  });

  it('round-trips a tool call: tool_use with the input, then text after the tool_result', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await claude.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      tools: [weather],
      messages,
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: expect.any(String) } });
    const second = await claude.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      tools: [weather],
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 °C, sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text' });
  });

  it('streams Anthropic’s event sequence, text and tool calls, with usage at the end', async () => {
    const since = new Date();
    const stream = claude.messages.stream({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Tell me a story' }],
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toContain('content_block_start');
    expect(types).toContain('content_block_stop');
    expect(final.content[0]).toMatchObject({ type: 'text', text });
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const id = (await stream.withResponse()).response.headers.get('x-request-id')!;
    expect(await usageOf(id, since)).toMatchObject({
      endpoint: 'messages',
      stream: true,
      completionTokens: final.usage.output_tokens,
      estimated: false,
    });

    const tools = await claude.messages
      .stream({
        model: 'gpt-4o-mini',
        max_tokens: 200,
        tools: [weather],
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      })
      .finalMessage();
    expect(tools.stop_reason).toBe('tool_use');
    expect(tools.content.find((b) => b.type === 'tool_use')).toMatchObject({
      name: 'get_weather',
      input: { city: expect.any(String) },
    });
  });

  it('takes the key from x-api-key or Authorization, and raises errors as the SDK’s own classes', async () => {
    const bearer = new Anthropic({
      baseURL: gw.url,
      apiKey: null,
      authToken: key.key,
      maxRetries: 0,
    });
    expect(
      (
        await bearer.messages.create({
          model: 'gpt-4o-mini',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'Hi' }],
        })
      ).type,
    ).toBe('message');

    const wrong = new Anthropic({ baseURL: gw.url, apiKey: 'gw-sk-not-a-key', maxRetries: 0 });
    await expect(
      wrong.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(
      claude.messages.create({
        model: 'no-such-model',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const bad = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': key.key,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect([bad.status, await bad.json()]).toEqual([
      400,
      {
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringMatching(/max_tokens/) },
      },
    ]);
    const server = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 10,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(((await server.json()) as any).error.message).toMatch(/tools\.0\.type/);
  });

  it('counts tokens locally (count_tokens), by the model rule, billing nothing', async () => {
    const counted = await claude.messages.countTokens({
      model: 'gpt-4o-mini',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(5);
    await expect(
      claude.messages.countTokens({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe('models with Anthropic’s SDK (x-api-key, anthropic-version)', () => {
  it('lists and retrieves the models the key may call, in Anthropic’s shapes', async () => {
    const ids: string[] = [];
    for await (const model of claude.models.list()) {
      expect(model).toMatchObject({ type: 'model', display_name: model.id, created_at: expect.any(String) });
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'gpt-4o']));
    expect(await claude.models.retrieve('mini')).toMatchObject({ type: 'model', id: 'mini' });
    await expect(claude.models.retrieve('no-such-model')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const bad = new Anthropic({ baseURL: gw.url, apiKey: 'gw-sk-nope', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });
});
