// Clients whose default is the Responses API, unchanged but for the base URL and key: the Vercel AI SDK's
// default OpenAI provider (generateText, streamText, a tool call) and the OpenAI Agents SDK running one agent
// with one tool. Each request bills what its usage says.
import { createOpenAI } from '@ai-sdk/openai';
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents';
import { generateText, jsonSchema, stepCountIs, streamText, tool as aiTool } from 'ai';
import { z } from 'zod';
import { type DemoGateway, startDemoGateway, usageSince } from './harness.js';

let demo: DemoGateway;
let world: DemoGateway['world'];
let gw: DemoGateway['gw'];
let key: { key: string; id: string };

beforeAll(async () => {
  demo = await startDemoGateway();
  ({ world, gw } = demo);
  key = demo.key;
  setTracingDisabled(true); // the Agents SDK would otherwise export traces to OpenAI
}, 60_000);
afterAll(async () => {
  await demo?.stop();
});

/** Usage events of `keyId` since `since`, once `count` have arrived. */
async function eventsOfKey(since: Date, count: number, keyId = key.id) {
  const end = Date.now() + 5000;
  for (;;) {
    const mine = [...(await usageSince(since)).values()].filter((e) => e.keyId === keyId);
    if (mine.length >= count || Date.now() > end) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Vercel AI SDK, default OpenAI provider (the Responses API)', () => {
  const provider = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.key });

  it('generateText answers and bills its usage', async () => {
    const since = new Date();
    const result = await generateText({
      model: provider()('gpt-4o-mini'),
      prompt: 'Say something',
      maxRetries: 0,
    });
    expect(result.text.length).toBeGreaterThan(0);
    const [event] = await eventsOfKey(since, 1);
    expect(event).toMatchObject({
      endpoint: 'responses',
      promptTokens: result.usage.inputTokens,
      completionTokens: result.usage.outputTokens,
    });
  });

  it('streamText streams the text', async () => {
    const result = streamText({ model: provider()('gpt-4o-mini'), prompt: 'Tell me a story', maxRetries: 0 });
    let text = '';
    for await (const piece of result.textStream) text += piece;
    expect(text.length).toBeGreaterThan(0);
    expect(await result.text).toBe(text);
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it('calls a tool and answers after its result', async () => {
    const calls: unknown[] = [];
    const result = await generateText({
      model: provider()('gpt-4o-mini'),
      prompt: 'Weather in Madrid?',
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: aiTool({
          description: 'The weather in a city',
          inputSchema: jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          }),
          execute: async (input) => {
            calls.push(input);
            return { temperature: 24 };
          },
        }),
      },
    });
    expect(calls).toEqual([{ city: expect.any(String) }]);
    expect(result.steps.length).toBe(2);
    expect(result.text.length).toBeGreaterThan(0);
  });
});

describe('OpenAI Agents SDK', () => {
  it('runs one agent with one tool to a final answer', async () => {
    const since = new Date();
    const own = await world.admin.key(await world.admin.account('pro'));
    const seen: unknown[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async (input) => {
        seen.push(input);
        return 'Sunny, 22 °C';
      },
    });
    const agent = new Agent({
      name: 'Weather',
      instructions: 'Answer with the tool.',
      tools: [getWeather],
      model: 'gpt-4o-mini',
    });
    const runner = new Runner({
      modelProvider: new OpenAIProvider({ apiKey: own.key, baseURL: `${gw.url}/v1`, useResponses: true }),
    });
    const result = await runner.run(agent, 'Weather in Accra?');
    expect(seen).toEqual([{ city: expect.any(String) }]);
    expect(String(result.finalOutput).length).toBeGreaterThan(0);
    // Two turns: the tool call, then the answer after its result.
    const events = await eventsOfKey(since, 2, own.id);
    expect(events.map((e) => e.endpoint)).toEqual(['responses', 'responses']);
  });
});
