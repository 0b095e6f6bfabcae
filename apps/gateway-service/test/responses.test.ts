// OpenAI's Responses API (/v1/responses) through the official SDK, translated to Chat Completions for a
// provider that speaks only that: text, instructions, JSON schema output, a function tool round trip,
// streaming events, refusals of what the gateway cannot honour, and the usage each request bills.
import type OpenAI from 'openai';
import { type DemoGateway, client, startDemoGateway, waitForUsage } from './harness.js';

let demo: DemoGateway;
let gw: DemoGateway['gw'];
let sdk: OpenAI;

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

beforeAll(async () => {
  demo = await startDemoGateway();
  ({ gw } = demo);
  sdk = client(gw.url, demo.key.key);
}, 60_000);
afterAll(async () => {
  await demo?.stop();
});

describe('POST /v1/responses with the openai SDK', () => {
  it('answers text input with output_text and usage, billed as its usage says', async () => {
    const since = new Date();
    const { data, response } = await sdk.responses
      .create({
        model: 'gpt-4o-mini',
        instructions: 'Be brief.',
        input: 'Say something',
        max_output_tokens: 100,
      })
      .withResponse();
    expect(data).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt-4o-mini',
      instructions: 'Be brief.',
    });
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens);
    const id = response.headers.get('x-request-id')!;
    expect((await waitForUsage(since, [id])).get(id)).toMatchObject({
      endpoint: 'responses',
      promptTokens: data.usage!.input_tokens,
      completionTokens: data.usage!.output_tokens,
      stream: false,
      estimated: false,
    });
  });

  it('takes message-array input and a JSON schema format', async () => {
    const r = await sdk.responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'developer', content: 'Answer in JSON.' },
        { role: 'user', content: [{ type: 'input_text', text: 'A colour?' }] },
      ],
      text: {
        format: {
          type: 'json_schema',
          name: 'colour',
          schema: { type: 'object', properties: { name: { type: 'string' } } },
        },
      },
    });
    expect(r.status).toBe('completed');
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant' });
  });

  it('round-trips a function tool: function_call, then text after function_call_output', async () => {
    const first = await sdk.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Lima?',
      tools: [weather],
    });
    const call = first.output.find(
      (o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call',
    )!;
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call.arguments)).toEqual({ city: expect.any(String) });
    const second = await sdk.responses.create({
      model: 'gpt-4o-mini',
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Lima?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '19 °C, cloudy' },
      ],
    });
    expect(second.output_text.length).toBeGreaterThan(0);
    expect(second.output.every((o) => o.type === 'message')).toBe(true);
  });

  it('streams the Responses event sequence: created … output_text deltas … completed with usage', async () => {
    const since = new Date();
    const { data: stream, response } = await sdk.responses
      .create({ model: 'gpt-4o-mini', input: 'Tell me a story', stream: true })
      .withResponse();
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    let sequence = -1;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).toBe(sequence + 1);
      sequence = event.sequence_number;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(completed!.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text }] });
    const id = response.headers.get('x-request-id')!;
    expect((await waitForUsage(since, [id])).get(id)).toMatchObject({
      endpoint: 'responses',
      stream: true,
      completionTokens: completed!.usage!.output_tokens,
      estimated: false,
    });

    const tools = await sdk.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Kyiv?',
      tools: [weather],
      stream: true,
    });
    const seen: string[] = [];
    let args = '';
    for await (const event of tools) {
      seen.push(event.type);
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
    }
    expect(seen).toContain('response.function_call_arguments.done');
    expect(JSON.parse(args)).toEqual({ city: expect.any(String) });
  });

  it('refuses what needs state or built-in tools, naming the field, as the SDK’s BadRequestError', async () => {
    const cases: [object, string][] = [
      [{ previous_response_id: 'resp_123' }, 'previous_response_id'],
      [{ store: true }, 'store'],
      [{ tools: [{ type: 'web_search' }] }, 'tools.0.type'],
      [{ input: [{ type: 'item_reference', id: 'x' }] }, 'input.0.type'],
    ];
    for (const [body, param] of cases) {
      await expect(
        sdk.responses.create({ model: 'gpt-4o-mini', input: 'Hi', ...body } as never),
      ).rejects.toMatchObject({ status: 400, param });
    }
    await expect(sdk.responses.create({ model: 'no-such-model', input: 'Hi' })).rejects.toMatchObject({
      status: 404,
    });
  });
});
