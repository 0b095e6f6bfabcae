// Streams always end, and are relayed as a real SSE stream: slow readers are cut and billed, a client that
// leaves is billed from the upstream's own usage, frames pass whatever their framing, and every kind of
// delta counts when the upstream reports no usage.
import { request } from 'node:http';
import { pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  usageSince,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let key: { id: string; key: string };
const messages = [{ role: 'user' as const, content: 'Tell me about streams' }];

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([
      {
        name: 'demo',
        url: upstream.url,
        extra: { maxConcurrency: 2, models: [{ name: 'gpt-4o-mini', maxOutputTokens: 100_000 }, 'gpt-4o'] },
      },
    ]),
    streamStallTimeoutMs: 500,
    usageReadAfterCloseMs: 300,
    requestMaxMs: 4_000,
  });
  key = await world.admin.key(await world.admin.account('pro'));
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});
afterEach(() => upstream.control({ reset: true, resetStats: true }));

/** Usage events of this test's key since `since`, once `n` have arrived. */
const events = async (since: Date, n: number) =>
  (
    await pollUntil(
      // By the request's own arrival time too: an earlier request's event may be stored after `since`.
      async () =>
        [...(await usageSince(since)).values()].filter(
          (e) => e.keyId === key.id && Date.parse(e.at) >= since.getTime(),
        ),
      (list) => list.length >= n,
      10_000,
      100,
    )
  ).value;

/** A streaming request whose client reads nothing: its response is paused, its socket kept open `holdMs`. */
function slowReader(holdMs: number, body: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.pause();
      setTimeout(() => {
        req.destroy();
        resolve(String(res.headers['x-request-id']));
      }, holdMs);
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true, max_tokens: 100_000, ...body }));
  });
}

describe('streams always end', () => {
  it('a client that stops reading and then leaves: the stream ends, is billed, and frees its provider slot', async () => {
    await upstream.control({ replyWords: 60_000 });
    const since = new Date();
    // More slow readers than the provider has slots: none may keep one.
    const ids = await Promise.all([slowReader(200, {}), slowReader(200, {}), slowReader(200, {})]);
    const got = await events(since, 3);
    for (const e of got) {
      expect(e.status).toBe(499);
      expect(e.promptTokens).toBeGreaterThan(0);
      expect(e.completionTokens).toBeGreaterThan(0);
    }
    expect(ids.length).toBe(3);
    await pollUntil(
      () => upstream.stats(),
      (s) => s.inFlight === 1, // the stats request itself

      5_000,
      50,
    );
    // The slots came back: a normal request is served.
    await upstream.control({ replyWords: 5 });
    const r = await client(gw.url, key.key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.choices[0].message.content).toBeTruthy();
  });

  it('a client that stops reading but stays connected is cut after the stall timeout and billed', async () => {
    await upstream.control({ replyWords: 60_000 });
    const since = new Date();
    const id = await slowReader(3_000, {});
    const [e] = await events(since, 1);
    expect(e.status).toBe(499);
    expect(e.completionTokens).toBeGreaterThan(0);
    expect(id).toBeTruthy();
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/gateway_stream_stalls_total [1-9]/);
  });

  it("a client that leaves is billed from the upstream's own usage, read on after it left", async () => {
    await upstream.control({ chunkDelayMs: 20, replyWords: 10 });
    const since = new Date();
    const ac = new AbortController();
    const stream = await client(gw.url, key.key).chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { signal: ac.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 2) ac.abort();
    } catch {
      /* aborted */
    }
    const [e] = await events(since, 1);
    expect(e).toMatchObject({ status: 499, estimated: false });
    const full = await client(gw.url, key.key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(e.completionTokens).toBe(full.usage!.completion_tokens);
  });

  it('a non-stream client that leaves while the answer is produced is billed, not for 0', async () => {
    await upstream.control({ latencyMs: 150 });
    const since = new Date();
    await client(gw.url, key.key, { timeout: 50 })
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch(() => undefined);
    const [e] = await events(since, 1);
    expect(e).toMatchObject({ status: 499, estimated: false, stream: false });
    expect(e.completionTokens).toBeGreaterThan(0);
  });
});

describe('every request ends by REQUEST_MAX_MS', () => {
  it('a provider that hangs mid-stream while the client reads on is cut at the deadline, and billed', async () => {
    await upstream.control({ stallAfterChunks: 3, replyWords: 50 });
    const since = new Date();
    const stream = await client(gw.url, key.key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    let chunks = 0;
    await (async () => {
      for await (const _ of stream) chunks++;
    })().catch(() => undefined);
    expect(chunks).toBe(3);
    const [e] = await events(since, 1);
    expect(e.status).toBe(504);
    expect(e.completionTokens).toBeGreaterThan(0);
  });
});

describe('a real SSE relay', () => {
  const collect = async (controls: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    await upstream.control(controls);
    const stream = await client(gw.url, key.key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      ...extra,
    } as any);
    let text = '';
    let chunks = 0;
    for await (const c of stream as any) {
      chunks++;
      text += c.choices[0]?.delta?.content ?? '';
    }
    return { text, chunks };
  };

  it('multi-byte characters split across network chunks arrive intact', async () => {
    const { text } = await collect({ splitUtf8: true, replyWords: 12 });
    expect(text).not.toContain('\uFFFD');
    expect(text).toMatch(/[é漢😀]/u);
  });

  it('CRLF-framed and multi-line events are relayed event by event, usage frame hidden', async () => {
    const plain = await collect({ replyWords: 12 });
    const crlf = await collect({ crlf: true, replyWords: 12 });
    const multi = await collect({ multilineData: true, replyWords: 12 });
    expect(crlf).toEqual(plain);
    expect(multi).toEqual(plain);
  });

  it('events reach the client as they come, not when the upstream ends (CRLF framing)', async () => {
    await upstream.control({ crlf: true, stallAfterChunks: 3, replyWords: 50 });
    const ac = new AbortController();
    const stream = await client(gw.url, key.key).chat.completions.create(
      { model: 'gpt-4o-mini', messages, stream: true },
      { signal: ac.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 3) ac.abort();
    } catch {
      /* aborted */
    }
    expect(chunks).toBe(3);
  });

  it('tool-call and reasoning deltas count when the upstream reports no usage', async () => {
    const since = new Date();
    for (const kind of ['toolCalls', 'reasoning']) {
      await upstream.control({ reset: true, omitUsage: true, [kind]: true, replyWords: 20 });
      const stream = await client(gw.url, key.key).chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
      });
      for await (const _ of stream);
    }
    const got = await events(since, 2);
    for (const e of got) {
      expect(e.estimated).toBe(true);
      expect(e.completionTokens).toBeGreaterThanOrEqual(20);
    }
  });
});
