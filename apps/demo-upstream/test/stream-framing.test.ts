// The stream switches: line endings, UTF-8 split across chunks, multi-line data, and a stream that hangs.
import { countTextTokens } from '@gw/tokenizer';
import { sseData, sseJson, startUpstream } from './upstream-client.js';

const { upstream, control, post, json, rawChunks, url } = startUpstream();
const messages = [{ role: 'user', content: 'Say hello' }];
const streamBody = { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } };
const streamText = async () => (await post('/v1/chat/completions', streamBody)).text();
const contentOf = (events: any[]) => events.map((e) => e.choices[0]?.delta?.content ?? '').join('');
// The parts of each event that do not change from one request to the next.
const stable = (events: any[]) => events.map(({ id: _id, created: _c, ...rest }) => rest);

/** True when the buffer's last character is cut short: a lead byte without all its continuation bytes. */
function endsInsideCharacter(buf: Buffer): boolean {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return back < length;
  }
  return false;
}

describe('crlf', () => {
  it('ends every SSE line with \\r\\n, so events are separated by \\r\\n\\r\\n', async () => {
    const plain = await streamText();
    await control({ crlf: true });
    const text = await streamText();
    expect(text.endsWith('data: [DONE]\r\n\r\n')).toBe(true);
    expect(text).toMatch(/^data: \{.*\}\r\n\r\ndata: \{/);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text.split('\r\n\r\n').filter(Boolean)).toHaveLength(plain.split('\n\n').filter(Boolean).length);
    expect(stable(sseJson(text))).toEqual(stable(sseJson(plain)));
  });
});

describe('splitUtf8', () => {
  it('sends multi-byte text with each event split inside a character, across socket chunks', async () => {
    await control({ splitUtf8: true });
    const { status, chunks } = await rawChunks('/v1/chat/completions', streamBody);
    expect(status).toBe(200);
    const cut = chunks.filter(endsInsideCharacter);
    expect(cut.length).toBeGreaterThan(0);
    // Decoding each chunk alone mangles the text; decoding the whole body does not.
    expect(cut[0].toString('utf8')).toContain('\uFFFD');
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).not.toContain('\uFFFD');
    for (const ch of ['é', '漢', '😀']) expect(text).toContain(ch);
    const events = sseJson(text);
    const whole = await json('/v1/chat/completions', { model: 'gpt-4o', messages });
    expect(contentOf(events)).toBe(whole.choices[0].message.content);
    expect(events[events.length - 1].usage.completion_tokens).toBe(
      countTextTokens(whole.choices[0].message.content),
    );
  });
});

describe('multilineData', () => {
  it('spreads each event over data lines, with ids and keep-alive comments, still valid SSE', async () => {
    const plain = await streamText();
    await control({ multilineData: true });
    const text = await streamText();
    expect(text.startsWith('id: 1\ndata: {\ndata:   "id": ')).toBe(true);
    expect(text).toContain('\n\n: keep-alive\n\nid: 2\ndata: {\n');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    // A line-per-event reader cannot parse the first data line on its own.
    expect(() => JSON.parse(text.split('\n')[1].slice(6))).toThrow();
    expect(sseData(text)).toHaveLength(sseData(plain).length);
    expect(stable(sseJson(text))).toEqual(stable(sseJson(plain)));
  });
});

describe('stallAfterChunks', () => {
  it('sends that many events, then nothing, holding the connection until the client leaves', async () => {
    await control({ stallAfterChunks: 3 });
    const ac = new AbortController();
    const res = await fetch(`${url()}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(streamBody),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (sseData(text).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    const next = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r('silent'), 300))]);
    expect(next).toBe('silent');
    expect(sseData(text)).toHaveLength(3);
    expect(upstream.stats).toMatchObject({ inFlight: 1, completed: 0 });
    ac.abort();
    for (let i = 0; i < 50 && upstream.stats.aborted === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.stats).toMatchObject({ aborted: 1, completed: 0 });
  });

  it('at 0 answers the headers and then nothing', async () => {
    await control({ stallAfterChunks: 0 });
    const ac = new AbortController();
    const res = await fetch(`${url()}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(streamBody),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const next = await Promise.race([
      res.body!.getReader().read(),
      new Promise((r) => setTimeout(() => r('silent'), 200)),
    ]);
    expect(next).toBe('silent');
    ac.abort();
  });
});
