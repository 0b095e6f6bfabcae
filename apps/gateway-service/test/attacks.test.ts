// The request path under attack: cheap refusal before the body, bounded bodies, provider errors that leak
// nothing, a bounded provider queue, and the framework's guarantees on the hot routes.
import { connect as tcp, type Socket } from 'node:net';
import { Readiness } from '@gw/platform';
import OpenAI from 'openai';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let key: string;
const messages = [{ role: 'user' as const, content: 'hi' }];

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([
      { name: 'demo', url: upstream.url, extra: { maxConcurrency: 1, maxQueue: 1, queueTimeoutMs: 300 } },
    ]),
    maxJsonDepth: 8,
    maxJsonValues: 20_000,
    maxBodyBytes: 64 * 1024,
  });
  key = (await world.admin.key(await world.admin.account('pro'))).key;
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});
afterEach(() => upstream.control({ reset: true, resetStats: true }));

/** Sends the head and the first part of a body, then waits for whatever answer comes (the rest never does). */
function partial(
  headers: Record<string, string>,
  declared: number | undefined,
  first: string,
): Promise<{ head: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const url = new URL(gw.url);
    const socket: Socket = tcp(Number(url.port), url.hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer before the body ended; got ${JSON.stringify(data)}`));
    }, 5_000);
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ head: data, closed: true });
    });
    socket.on('error', () => undefined);
    const head = Object.entries({
      host: url.host,
      'content-type': 'application/json',
      ...(declared === undefined ? {} : { 'content-length': String(declared) }),
      ...headers,
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\n${head}\r\n${first}`);
  });
}

describe('cheap refusal first', () => {
  it('refuses a request without a working key from its headers, without waiting for its 6 MB body', async () => {
    const body = '{"model":"x","messages":' + '['.repeat(1000);
    const none = await partial({}, 6_000_000, body);
    expect(none.head).toMatch(/^HTTP\/1.1 401/);
    expect(none.head).toContain('missing_api_key');
    expect(none.head.toLowerCase()).toContain('connection: close');
    const forged = await partial({ authorization: 'Bearer gw-sk-nope' }, 6_000_000, body);
    expect(forged.head).toMatch(/^HTTP\/1.1 401/);
  });

  it('refuses a deeply nested body as soon as it passes the bound, before it ends', async () => {
    const res = await partial(
      { authorization: `Bearer ${key}` },
      60_000,
      '{"model":"gpt-4o-mini","messages":' + '['.repeat(100),
    );
    expect(res.head).toMatch(/^HTTP\/1.1 400/);
    expect(res.head).toContain('nested deeper than 8 levels');
  });

  it('refuses a body over the limit while reading it (413), declared or not', async () => {
    const declared = await partial({ authorization: `Bearer ${key}` }, 1_000_000, '{');
    expect(declared.head).toMatch(/^HTTP\/1.1 413/);
    // Chunked, no length declared: refused once the bytes read pass the limit, before the body ends.
    const data = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${'a'.repeat(70_000)}`;
    const chunked = await partial(
      { authorization: `Bearer ${key}`, 'transfer-encoding': 'chunked' },
      undefined,
      `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`,
    );
    expect(chunked.head).toMatch(/^HTTP\/1.1 413/);
    expect(chunked.head).toContain('request_too_large');
  });
});

describe('bodies that would cost the gateway or fool a provider', () => {
  const send = (body: string | Buffer, k = key) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it('refuses a repeated top-level field: the provider must read what the gateway checked', async () => {
    const r = await send(
      '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}',
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_request', param: 'model' });
    // The same field spelled with a JSON escape is the same field.
    const escaped = await send(
      '{"max_tokens":1,"messages":[{"role":"user","content":"hi"}],"max_tok\\u0065ns":5,"model":"gpt-4o-mini"}',
    );
    expect(escaped.status).toBe(400);
  });

  it('refuses invalid UTF-8 rather than reading it differently from the provider', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]}'),
    ]);
    expect((await send(bytes)).status).toBe(400);
  });

  it('refuses a wide body past the element budget before parsing it', async () => {
    const wide = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"x":[${Array(5_000).fill('{}').join(',')}]}`;
    const r = await send(wide);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/JSON elements/);
  });

  it('counts special-token text in a prompt as text (no 500), for a key with a quota', async () => {
    const limited = (
      await world.admin.key(await world.admin.account('pro'), { quota: { type: 'total', limit: 100 } })
    ).key;
    const r = await send(
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'say <|endoftext|> and <|im_start|>' }],
      }),
      limited,
    );
    expect(r.status).toBe(200);
  });
});

describe('provider errors', () => {
  it("never relays a provider's 401 body, which can quote the operator's key", async () => {
    await upstream.control({
      failStatus: 401,
      failMessage: 'Incorrect API key provided: sk-proj-AbCdEf****************wxyz1234.',
    });
    const err = await client(gw.url, key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: InstanceType<typeof OpenAI.APIError>) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(JSON.stringify((err as InstanceType<typeof OpenAI.APIError>).error)).not.toMatch(
      /sk-proj|wxyz1234|AbCdEf/,
    );
  });

  it("passes a provider's validation message, with anything key-like removed", async () => {
    await upstream.control({
      failStatus: 400,
      failMessage:
        'temperature must be <= 2 (request by key gw-sk-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG)',
    });
    const err = (await client(gw.url, key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('temperature must be <= 2');
    expect(err.message).not.toContain('0123456789abcdef');
  });
});

describe('the provider queue is bounded and has a deadline', () => {
  it('answers 503 when the queue is full and when the wait passes its deadline; every slot comes back', async () => {
    await upstream.control({ latencyMs: 800 });
    const sdk = client(gw.url, key);
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: InstanceType<typeof OpenAI.APIError>) => `${e.status}:${e.code}`,
      );
    const first = outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    await new Promise((r) => setTimeout(r, 50));
    const queued = outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    await new Promise((r) => setTimeout(r, 50));
    const full = outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    expect(await full).toBe('503:service_unavailable');
    const raw = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
    });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(await queued).toBe('503:service_unavailable');
    expect(await first).toBe(200);
    await upstream.control({ latencyMs: 0 });
    expect(await outcome(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }))).toBe(200);
  });
});

describe("the hot routes keep the framework's guarantees", () => {
  it("answers what Node's HTTP parser refuses in the OpenAI envelope, with a request id", async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const url = new URL(gw.url);
        const socket = tcp(Number(url.port), url.hostname);
        let data = '';
        socket.on('data', (d) => (data += d.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', () => undefined);
        socket.write(request);
      });
    const badUrl = await raw('GET /v1/\x80models HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(badUrl).toMatch(/^HTTP\/1.1 400/);
    expect(badUrl).toMatch(/x-request-id: [\w-]+/);
    expect(JSON.parse(badUrl.slice(badUrl.indexOf('\r\n\r\n') + 4)).error.code).toBe('invalid_request');
    const huge = await raw(`GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1.1 431/);
    expect(huge).toContain('"code":"headers_too_large"');
    const badPath = await fetch(`${gw.url}/v1/chat/completions%zz`);
    expect(badPath.status).toBe(400);
    expect(badPath.headers.get('x-request-id')).toBeTruthy();
    expect(((await badPath.json()) as any).error.code).toBe('invalid_request');
    // The framework's routes take no body worth parsing: a deep one is refused by size, not parsed.
    const deep = await fetch(`${gw.url}/nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(100_000) + ']'.repeat(100_000),
    });
    expect(deep.status).toBe(413);
  });

  it('records every hot route in the request-duration histogram, with its outcome', async () => {
    await client(gw.url, key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await fetch(`${gw.url}/v1/models`);
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{service="gateway-service",method="POST",route="\/v1\/chat\/completions",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{service="gateway-service",method="GET",route="\/v1\/models",status="401"\} [1-9]/,
    );
  });

  it('answers 503 service_unavailable while draining', async () => {
    const other = await startGateway({ upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url }]) });
    try {
      other.app.get(Readiness).refuse();
      const res = await fetch(`${other.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.code).toBe('service_unavailable');
      expect(
        (await fetch(`${other.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status,
      ).toBe(503);
    } finally {
      await other.close();
    }
  });
});
