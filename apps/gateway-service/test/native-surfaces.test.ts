// A provider marked in the providers file as speaking the Responses and Messages APIs itself is passed the
// client's request (model and cap rewritten, its own auth headers) and its answer is relayed unchanged, billed
// from that API's own usage fields. What only such a provider can serve (previous_response_id, server tools)
// goes to it alone, and never for a key with a spending limit. The provider here is a recording stand-in
// that answers in each API's documented shapes.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  waitForUsage,
  type World,
} from './harness.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

const PROVIDER_KEY = 'native-provider-secret-key';
let native: Server;
let nativeUrl: string;
const seen: Seen[] = [];
let failing = false;

const sse = (events: Record<string, unknown>[]) =>
  events.map((e) => `event: ${e.type as string}\ndata: ${JSON.stringify(e)}\n\n`).join('');

function responsesAnswer(body: any) {
  const response = {
    // A new id each time, as a provider gives (owners are recorded once per id, for 30 days).
    id: `resp_${randomUUID().replaceAll('-', '')}`,
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: body.model,
    output: [
      {
        type: 'message',
        id: 'msg_native_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Native hello', annotations: [] }],
      },
    ],
    usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18 },
  };
  if (!body.stream) return { type: 'application/json', text: JSON.stringify(response) };
  const events = [
    {
      type: 'response.created',
      sequence_number: 0,
      response: { ...response, status: 'in_progress', output: [] },
    },
    {
      type: 'response.output_text.delta',
      sequence_number: 1,
      item_id: 'msg_native_1',
      output_index: 0,
      content_index: 0,
      delta: 'Native ',
    },
    {
      type: 'response.output_text.delta',
      sequence_number: 2,
      item_id: 'msg_native_1',
      output_index: 0,
      content_index: 0,
      delta: 'hello',
    },
    { type: 'response.completed', sequence_number: 3, response },
  ];
  return { type: 'text/event-stream', text: sse(events) };
}

function messagesAnswer(body: any) {
  const message = {
    id: 'msg_native_2',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: 'Native hello' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 13, cache_creation_input_tokens: 2, cache_read_input_tokens: 4, output_tokens: 9 },
  };
  if (!body.stream) return { type: 'application/json', text: JSON.stringify(message) };
  const events = [
    {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Native ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 9 },
    },
    { type: 'message_stop' },
  ];
  return { type: 'text/event-stream', text: sse(events) };
}

async function startNative(): Promise<void> {
  native = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      seen.push({ path: req.url!, headers: req.headers, body });
      if (failing) return res.writeHead(500).end('{"error":{"message":"down"}}');
      if (req.url === '/v1/responses' && body.input === 'slow') {
        // The answer's end (with its usage) comes after the client has gone.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const events = sse([{ type: 'response.created', sequence_number: 0, response: { id: 'resp_slow' } }]);
        res.write(events);
        return setTimeout(
          () => res.end(responsesAnswer(body).text.split('\n\n').slice(-2).join('\n\n')),
          500,
        );
      }
      if (req.url === '/v1/messages' && body.messages?.[0]?.content === 'cut me') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const a = messagesAnswer(body).text.split('\n\n');
        res.write(a.slice(0, 3).join('\n\n') + '\n\n');
        return setTimeout(() => res.destroy(), 50);
      }
      if (req.url === '/v1/responses') {
        if (body.input === 'refuse me')
          return res.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              error: {
                message: 'Invalid input: refused here.',
                type: 'invalid_request_error',
                param: 'input',
              },
            }),
          );
        const a = responsesAnswer(body);
        return res.writeHead(200, { 'content-type': a.type }).end(a.text);
      }
      if (req.url === '/v1/messages') {
        if (body.messages?.[0]?.content === 'refuse me')
          return res.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              type: 'error',
              error: { type: 'invalid_request_error', message: 'messages: refused here.' },
            }),
          );
        const a = messagesAnswer(body);
        return res.writeHead(200, { 'content-type': a.type }).end(a.text);
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => native.listen(0, '127.0.0.1', r));
  nativeUrl = `http://127.0.0.1:${(native.address() as { port: number }).port}`;
}

let world: World;
let demo: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let key: { key: string; id: string };
let limited: { key: string; id: string };
let other: { key: string; id: string };
/** The providers file every gateway of this test reads. */
let file: string;
/** A Response the first key stored (the test after uses it as another owner). */
let stored: string;
let sdk: OpenAI;
let claude: Anthropic;

beforeAll(async () => {
  [world, demo] = await Promise.all([startWorld(), startUpstream(), startNative().then(() => undefined)]);
  const dir = mkdtempSync(join(tmpdir(), 'gw-native-'));
  file = join(dir, 'upstreams.json');
  writeFileSync(
    file,
    JSON.stringify({
      providers: [
        {
          name: 'native',
          baseUrl: `${nativeUrl}/v1`,
          apiKeyEnv: 'NATIVE_TEST_PROVIDER_KEY',
          nativeSurfaces: ['responses', 'messages'],
          models: [
            { name: 'gpt-4o-mini', upstreamModel: 'native-mini', maxOutputTokens: 300 },
            { name: 'gpt-4o', upstreamModel: 'native-4o' },
          ],
          weight: 1000,
        },
        // gpt-4o is also served by a provider that speaks only Chat Completions: a fallback target.
        { name: 'demo', baseUrl: `${demo.url}/v1`, models: ['gpt-4o'], weight: 1 },
      ],
    }),
  );
  process.env.NATIVE_TEST_PROVIDER_KEY = PROVIDER_KEY;
  // A client that leaves stops the upstream at once, except where only the provider's usage can tell the cost.
  gw = await startGateway({ upstreamsFile: file, usageReadAfterCloseMs: 0 });
  key = await world.admin.key(await world.admin.account('pro'));
  other = await world.admin.key(await world.admin.account('pro'));
  limited = await world.admin.key(await world.admin.account('pro', { creditLimit: 100 }));
  sdk = client(gw.url, key.key);
  claude = new Anthropic({ baseURL: gw.url, apiKey: key.key, maxRetries: 0, timeout: 10_000 });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await Promise.all([world?.stop(), demo?.stop(), new Promise((r) => native?.close(r))]);
  delete process.env.NATIVE_TEST_PROVIDER_KEY;
});
beforeEach(() => {
  seen.length = 0;
  failing = false;
});

const usageOf = async (id: string, since: Date) => (await waitForUsage(since, [id])).get(id)!;

describe('the Responses API passed through to a provider that speaks it', () => {
  it('sends the client’s body with the provider’s model and the cap, and relays the answer unchanged', async () => {
    const since = new Date();
    const { data, response } = await sdk.responses
      .create({ model: 'gpt-4o-mini', input: 'Hi', reasoning: { effort: 'low' }, max_output_tokens: 5000 })
      .withResponse();
    expect(data).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      model: 'native-mini',
      output_text: 'Native hello',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].path).toBe('/v1/responses');
    expect(seen[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    // A field the translation does not carry reaches the provider; the cap is cut to the model's ceiling.
    // Not stored at the provider: the client did not ask, as when translated.
    expect(seen[0].body).toMatchObject({
      model: 'native-mini',
      input: 'Hi',
      reasoning: { effort: 'low' },
      max_output_tokens: 300,
      store: false,
    });
    expect(await usageOf(response.headers.get('x-request-id')!, since)).toMatchObject({
      endpoint: 'responses',
      upstream: 'native',
      model: 'gpt-4o-mini',
      promptTokens: 11,
      completionTokens: 7,
      estimated: false,
    });
  });

  it('relays the provider’s stream event for event and bills response.completed’s usage', async () => {
    const since = new Date();
    const stream = await sdk.responses
      .create({ model: 'gpt-4o-mini', input: 'Hi', stream: true })
      .withResponse();
    const types: string[] = [];
    for await (const event of stream.data) types.push(event.type);
    expect(types).toEqual([
      'response.created',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.completed',
    ]);
    expect(seen[0].body).toMatchObject({ stream: true, max_output_tokens: 300 });
    expect(await usageOf(stream.response.headers.get('x-request-id')!, since)).toMatchObject({
      endpoint: 'responses',
      promptTokens: 11,
      completionTokens: 7,
      stream: true,
      estimated: false,
    });
  });

  it('passes previous_response_id and built-in tools to it, for a key without a spending limit only', async () => {
    // A stored Response, recorded as this owner's.
    const { id } = await sdk.responses.create({ model: 'gpt-4o-mini', input: 'Hi', store: true });
    stored = id;
    expect(seen[0].body.store).toBe(true);
    seen.length = 0;
    const r = await sdk.responses.create({
      model: 'gpt-4o-mini',
      input: 'And then?',
      previous_response_id: id,
      tools: [{ type: 'web_search' }],
    });
    expect(r.output_text).toBe('Native hello');
    expect(seen[0].body).toMatchObject({
      previous_response_id: id,
      tools: [{ type: 'web_search' }],
    });

    seen.length = 0;
    const refused = await client(gw.url, limited.key)
      .responses.create({ model: 'gpt-4o-mini', input: 'And then?', previous_response_id: id })
      .catch((e: unknown) => e as { status: number; error: { param: string; message: string } });
    expect(refused).toMatchObject({ status: 400, error: { param: 'previous_response_id' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/spending limit/);
    expect(seen).toHaveLength(0);
  });

  it('refuses another owner’s stored Response, and an id never stored through the gateway', async () => {
    for (const id of [stored, 'resp_elsewhere']) {
      const refused = await client(gw.url, other.key)
        .responses.create({ model: 'gpt-4o-mini', input: 'Repeat it all', previous_response_id: id })
        .catch((e: unknown) => e as { status: number; error: { param: string; message: string } });
      expect(refused).toMatchObject({
        status: 400,
        error: { param: 'previous_response_id', message: `Previous response with id '${id}' not found.` },
      });
    }
    expect(seen).toHaveLength(0);
  });

  it('with Redis unreachable: answers 503 for a previous_response_id it cannot check, and still serves the rest', async () => {
    const noRedis = await startGateway({ upstreamsFile: file, redis: { url: 'redis://127.0.0.1:1' } });
    try {
      const sdk2 = client(noRedis.url, key.key);
      // Its owner cannot be recorded: the answer comes all the same (its next turn will be refused).
      expect(await sdk2.responses.create({ model: 'gpt-4o-mini', input: 'Hi', store: true })).toMatchObject({
        status: 'completed',
      });
      seen.length = 0;
      const refused = await sdk2.responses
        .create({ model: 'gpt-4o-mini', input: 'And then?', previous_response_id: stored })
        .catch((e: unknown) => e as { status: number; error: { code: string } });
      expect(refused).toMatchObject({ status: 503, error: { code: 'service_unavailable' } });
      expect(seen).toHaveLength(0);
    } finally {
      await noRedis.close();
    }
  });

  it('reads a native-only answer to its end after the client left, to bill the provider’s usage', async () => {
    const { id } = await sdk.responses.create({ model: 'gpt-4o-mini', input: 'Hi', store: true });
    const since = new Date();
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        input: 'slow',
        previous_response_id: id,
        stream: true,
      }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(await usageOf(res.headers.get('x-request-id')!, since)).toMatchObject({
      status: 499,
      promptTokens: 11,
      completionTokens: 7,
      estimated: false,
    });
  });

  it('refuses references to what the provider keeps (items by id, saved prompts), and never stores unasked', async () => {
    for (const body of [
      { input: [{ type: 'item_reference', id: 'msg_someone_else' }], param: 'input.0' },
      {
        input: [
          { role: 'user', content: 'Hi' },
          { type: 'reasoning', id: 'rs_x', summary: [] },
        ],
        param: 'input.1',
      },
      { input: 'Hi', prompt: { id: 'pmpt_x' }, param: 'prompt' },
    ]) {
      const { param, ...rest } = body;
      const refused = await sdk.responses
        .create({ model: 'gpt-4o-mini', ...(rest as object) } as never)
        .catch((e: unknown) => e as { status: number; error: { param: string } });
      expect(refused).toMatchObject({ status: 400, error: { param } });
    }
    expect(seen).toHaveLength(0);
    await sdk.responses.create({
      model: 'gpt-4o-mini',
      input: 'Hi',
      store: null,
      service_tier: 'priority',
    } as never);
    expect(seen[0].body.store).toBe(false);
    expect(seen[0].body).not.toHaveProperty('service_tier');
  });

  it('reserves for images the translation drops (a tool output’s), at the model’s media price', async () => {
    const capped = await world.admin.key(await world.admin.account('pro'), {
      quota: { type: 'total', limit: 0.01 },
    });
    const send = (images: number) =>
      fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${capped.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          input: [
            { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
            {
              type: 'function_call_output',
              call_id: 'c',
              output: Array.from({ length: images }, () => ({
                type: 'input_image',
                image_url: 'https://x.test/a.png',
              })),
            },
          ],
        }),
      });
    expect((await send(1)).status).toBe(200);
    // 100 images at 2,000 tokens each, 0.15 credits per million: 0.03 credits, past the key's 0.01.
    expect((await send(100)).status).toBe(429);
  });

  it('never passes a background response (its usage would come after the answer)', async () => {
    const refused = await sdk.responses
      .create({ model: 'gpt-4o-mini', input: 'Hi', background: true })
      .catch((e: unknown) => e as { status: number; error: { param: string } });
    expect(refused).toMatchObject({ status: 400, error: { param: 'background' } });
    expect(seen).toHaveLength(0);
  });

  it('maps the provider’s 400 into the gateway’s envelope', async () => {
    const refused = await sdk.responses
      .create({ model: 'gpt-4o-mini', input: 'refuse me' })
      .catch((e: unknown) => e as { status: number; error: { param: string; message: string } });
    expect(refused).toMatchObject({
      status: 400,
      error: { param: 'input', message: 'Invalid input: refused here.' },
    });
  });

  it('sends what only a native provider can serve to no other provider, and falls back across kinds otherwise', async () => {
    failing = true;
    const before = (await demo.stats()).requests;
    const refused = await sdk.responses
      .create({ model: 'gpt-4o', input: 'Hi', store: true })
      .catch((e: unknown) => e as { status: number });
    expect(refused).toMatchObject({ status: 502 });
    expect((await demo.stats()).requests).toBe(before);
    expect(seen.length).toBeGreaterThan(0);

    // A stateless request falls back from the failing native provider to the one that needs translating.
    const since = new Date();
    const { data, response } = await sdk.responses.create({ model: 'gpt-4o', input: 'Hi' }).withResponse();
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o' });
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(await usageOf(response.headers.get('x-request-id')!, since)).toMatchObject({
      upstream: 'demo',
      endpoint: 'responses',
      estimated: false,
    });
  });
});

describe('the Messages API passed through to a provider that speaks it', () => {
  it('sends the body with x-api-key and anthropic-version, relays the message, bills cache tokens as prompt', async () => {
    const since = new Date();
    const { data, response } = await claude.messages
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        metadata: { user_id: 'u-1' },
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .withResponse();
    expect(data).toMatchObject({
      id: 'msg_native_2',
      model: 'native-mini',
      content: [{ text: 'Native hello' }],
    });
    expect(seen[0].path).toBe('/v1/messages');
    expect(seen[0].headers['x-api-key']).toBe(PROVIDER_KEY);
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].headers['anthropic-version']).toBe('2023-06-01');
    expect(seen[0].body).toMatchObject({
      model: 'native-mini',
      max_tokens: 100,
      metadata: { user_id: 'u-1' },
    });
    expect(await usageOf(response.headers.get('x-request-id')!, since)).toMatchObject({
      endpoint: 'messages',
      upstream: 'native',
      promptTokens: 13 + 2 + 4,
      completionTokens: 9,
      estimated: false,
    });
  });

  it('relays the stream unchanged and bills message_start’s input with message_delta’s output', async () => {
    const since = new Date();
    const stream = claude.messages.stream({
      model: 'gpt-4o-mini',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect((await stream.finalMessage()).content).toEqual([{ type: 'text', text: 'Native hello' }]);
    const id = (await stream.withResponse()).response.headers.get('x-request-id')!;
    expect(await usageOf(id, since)).toMatchObject({
      endpoint: 'messages',
      promptTokens: 13 + 2 + 4,
      completionTokens: 9,
      stream: true,
      estimated: false,
    });
  });

  it('bills a stream cut before its end at the prompt its start reported', async () => {
    const since = new Date();
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'cut me' }],
      }),
    });
    await res.text().catch(() => undefined);
    expect(await usageOf(res.headers.get('x-request-id')!, since)).toMatchObject({
      status: 502,
      promptTokens: 13 + 2 + 4,
      estimated: true,
    });
  });

  it('reserves for the bytes a provider is passed, not only for what translates (thinking blocks)', async () => {
    const account = await world.admin.account('pro');
    const capped = await world.admin.key(account, { quota: { type: 'total', limit: 0.01 } });
    const send = (history: unknown[]) =>
      fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': capped.key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 16,
          messages: [...history, { role: 'user', content: 'ok' }],
        }),
      });
    expect((await send([])).status).toBe(200);
    // ~400k tokens at most of 0.15 credits per million: 0.06 credits, past the key's 0.01.
    const thinking = { type: 'thinking', thinking: 'x'.repeat(400_000), signature: 'sig' };
    const refused = await send([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [thinking, { type: 'text', text: 'hello' }] },
    ]);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('passes server tools to it, and raises its refusals as the SDK’s own error class', async () => {
    await claude.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 100,
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      messages: [{ role: 'user', content: 'News?' }],
    });
    expect(seen[0].body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search' }]);
    const err = await claude.messages
      .create({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'refuse me' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages: refused here.' },
    });
  });
});
