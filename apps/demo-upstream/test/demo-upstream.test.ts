import { countChatTokens, countTextTokens } from '@gw/tokenizer';
import { createDemoUpstream } from '../src/server.js';

const upstream = createDemoUpstream();
let url: string;
beforeAll(async () => {
  url = await upstream.listen(0);
});
afterAll(() => upstream.close());
beforeEach(() => control({ reset: true, resetStats: true }));

function control(body: unknown) {
  return fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
}
function post(path: string, body: unknown) {
  return fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
const messages = [{ role: 'user', content: 'Say hello' }];

describe('demo upstream', () => {
  it('answers chat deterministically with exact usage', async () => {
    const a: any = await (await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages })).json();
    const b: any = await (await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages })).json();
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.usage).toEqual({
      prompt_tokens: countChatTokens(messages),
      completion_tokens: countTextTokens(a.choices[0].message.content),
      total_tokens: countChatTokens(messages) + countTextTokens(a.choices[0].message.content),
    });
  });

  it('respects max_tokens', async () => {
    const r: any = await (
      await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages, max_tokens: 3 })
    ).json();
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('streams SSE chunks, with a usage chunk only when asked', async () => {
    const read = async (body: unknown) => (await post('/v1/chat/completions', body)).text();
    const plain = await read({ model: 'gpt-4o', messages, stream: true });
    expect(plain.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(plain).not.toContain('"usage"');
    const withUsage = await read({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const frames = withUsage
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)));
    const last = frames[frames.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBe(countChatTokens(messages));
    const text = frames.map((f) => f.choices[0]?.delta?.content ?? '').join('');
    expect(last.usage.completion_tokens).toBe(countTextTokens(text));
  });

  it('serves completions, embeddings and models', async () => {
    const c: any = await (await post('/v1/completions', { model: 'gpt-4o-mini', prompt: 'Once' })).json();
    expect(c.object).toBe('text_completion');
    expect(typeof c.choices[0].text).toBe('string');
    const e: any = await (
      await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] })
    ).json();
    expect(e.data).toHaveLength(2);
    expect(e.data[0].embedding).toHaveLength(8);
    const m: any = await (await fetch(`${url}/v1/models`)).json();
    expect(m.data.map((x: { id: string }) => x.id)).toContain('gpt-4o');
    expect((await post('/v1/chat/completions', { model: 'nope', messages })).status).toBe(404);
  });

  it('fails, delays and drops on command', async () => {
    await control({ failStatus: 503, failCount: 1 });
    expect((await post('/v1/chat/completions', { model: 'gpt-4o', messages })).status).toBe(503);
    expect((await post('/v1/chat/completions', { model: 'gpt-4o', messages })).status).toBe(200);
    await control({ latencyMs: 150 });
    const t0 = Date.now();
    await post('/v1/chat/completions', { model: 'gpt-4o', messages });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await control({ latencyMs: 0, dropConnection: true });
    await expect(post('/v1/chat/completions', { model: 'gpt-4o', messages })).rejects.toThrow();
    expect(((await control({ bogus: 1 })) as any).error.message).toBe('unknown switch bogus');
  });

  it('counts a stream the client abandons as aborted', async () => {
    await control({ chunkDelayMs: 30, replyWords: 40 });
    const ac = new AbortController();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    for (let i = 0; i < 50 && upstream.stats.aborted === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.stats.aborted).toBe(1);
  });
});
