// The OpenAI-compatible surface through the official SDK, and the usage event each request publishes.
import { countChatTokens } from '@gw/tokenizer';
import type OpenAI from 'openai';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  waitForUsage,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let sdk: OpenAI;
let keyId: string;
const messages = [{ role: 'user' as const, content: 'Say something' }];

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({ upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url }]) });
  const account = await world.admin.account('pro');
  const key = await world.admin.key(account);
  keyId = key.id;
  sdk = client(gw.url, key.key);
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});

describe('OpenAI-compatible API', () => {
  it('chat completions, with usage and an x-request-id', async () => {
    const since = new Date();
    const { data, response } = await sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(data.choices[0].message.content).toEqual(expect.any(String));
    expect(data.usage?.prompt_tokens).toBe(countChatTokens(messages));
    const id = response.headers.get('x-request-id')!;
    const events = await waitForUsage(since, [id]);
    expect(events.get(id)).toMatchObject({
      keyId,
      model: 'gpt-4o-mini',
      endpoint: 'chat.completions',
      upstream: 'demo',
      promptTokens: data.usage!.prompt_tokens,
      completionTokens: data.usage!.completion_tokens,
      status: 200,
      stream: false,
      estimated: false,
    });
  });

  it('streams chat chunk by chunk; the usage chunk appears only when asked, and usage is always recorded', async () => {
    const since = new Date();
    const { data: stream, response } = await sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages, stream: true })
      .withResponse();
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(sawUsage).toBe(false);
    const id = response.headers.get('x-request-id')!;
    const e = (await waitForUsage(since, [id])).get(id);
    expect(e).toMatchObject({
      stream: true,
      estimated: false,
      status: 200,
      promptTokens: countChatTokens(messages),
    });
    expect(e.completionTokens).toBeGreaterThan(0);

    const asked = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of asked) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(e.completionTokens);
  });

  it('counts tokens locally, marked estimated, when the upstream reports none', async () => {
    await upstream.control({ omitUsage: true });
    try {
      const since = new Date();
      const { data: stream, response } = await sdk.chat.completions
        .create({ model: 'gpt-4o-mini', messages, stream: true })
        .withResponse();
      for await (const _ of stream) void _;
      const id = response.headers.get('x-request-id')!;
      const e = (await waitForUsage(since, [id])).get(id);
      expect(e).toMatchObject({ estimated: true, promptTokens: countChatTokens(messages) });
      expect(e.completionTokens).toBeGreaterThan(0);
    } finally {
      await upstream.control({ omitUsage: false });
    }
  });

  it('embeddings, completions, models, aliases and generate', async () => {
    const emb = await sdk.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0].embedding).toHaveLength(8);
    const comp = await sdk.completions.create({ model: 'gpt-4o-mini', prompt: 'Once upon' });
    expect(comp.choices[0].text).toEqual(expect.any(String));
    const alias = await sdk.chat.completions.create({ model: 'mini', messages });
    expect(alias.choices[0].message.content).toEqual(expect.any(String));
    const models = await sdk.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
    const gen: any = await sdk.post('/generate', { body: { prompt: 'Hello', model: 'gpt-4o' } });
    expect(gen).toMatchObject({
      object: 'generation',
      text: expect.any(String),
      usage: { prompt_tokens: expect.any(Number) },
    });
  });

  it('passes a tool round trip through (tool_calls, then text after the tool message)', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const ask = [{ role: 'user' as const, content: 'Weather in Rome?' }];
    const first = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: ask, tools });
    const call = first.choices[0].message.tool_calls![0] as { id: string; function: { arguments: string } };
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
    const second = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      tools,
      messages: [...ask, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '25 °C' }],
    });
    expect(second.choices[0].finish_reason).toBe('stop');
  });

  it('lists only the models a key and its tier may call', async () => {
    const account = await world.admin.account('free');
    const free = client(gw.url, (await world.admin.key(account)).key);
    expect((await free.models.list()).data.map((m) => m.id).sort()).toEqual([
      'gpt-4o-mini',
      'text-embedding-3-small',
    ]);
    const narrow = client(gw.url, (await world.admin.key(account, { allowedModels: ['gpt-4o-mini'] })).key);
    expect((await narrow.models.list()).data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });

  it('retrieves one model by name or alias, by the same rule as the list (models.retrieve)', async () => {
    expect(await sdk.models.retrieve('gpt-4o-mini')).toMatchObject({ id: 'gpt-4o-mini', object: 'model' });
    expect(await sdk.models.retrieve('mini')).toMatchObject({ id: 'mini', object: 'model' });
    const account = await world.admin.account('free');
    const free = client(gw.url, (await world.admin.key(account)).key);
    // Not in the tier, unknown, or an undecodable name: one answer, so a key learns nothing of other models.
    for (const name of ['gpt-4o', 'no-such-model', '%E0%A4%A', 'a/b']) {
      const res = await fetch(`${gw.url}/v1/models/${name}`, {
        headers: { authorization: `Bearer ${free.apiKey}` },
      });
      expect([name, res.status, ((await res.json()) as any).error.code]).toEqual([
        name,
        404,
        'model_not_found',
      ]);
    }
    await expect(free.models.retrieve('gpt-4o')).rejects.toMatchObject({ status: 404 });
    expect((await fetch(`${gw.url}/v1/models/gpt-4o-mini`)).status).toBe(401);
  });

  it('caps max_tokens at the model ceiling and serves Swagger for the gateway routes', async () => {
    const r = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 1_000_000 });
    expect(r.choices[0].message.content).toEqual(expect.any(String));
    const spec: any = await (await fetch(`${gw.adminUrl}/docs-json`)).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/v1/models', '/v1/models/{model}', '/v1/generate']),
    );
  });
});
