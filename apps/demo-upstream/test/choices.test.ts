// honourN: n choices, best_of billing and prompt arrays, as OpenAI answers them; and what the stats record.
import { countChatTokens, countTextTokens } from '@gw/tokenizer';
import { sseJson, startUpstream } from './upstream-client.js';

const { control, post, json, stats } = startUpstream();
const messages = [{ role: 'user', content: 'Say hello' }];
const chat = (extra: object) => json('/v1/chat/completions', { model: 'gpt-4o-mini', messages, ...extra });
const complete = (extra: object) => json('/v1/completions', { model: 'gpt-4o-mini', ...extra });
const tokens = (texts: string[]) => texts.reduce((sum, t) => sum + countTextTokens(t), 0);

describe('honourN', () => {
  it('answers n chat choices, each its own text, the first the same as without n', async () => {
    const one = await chat({});
    const three = await chat({ n: 3 });
    const texts: string[] = three.choices.map((c: any) => c.message.content);
    expect(three.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(texts).size).toBe(3);
    expect(texts[0]).toBe(one.choices[0].message.content);
    expect(three.usage).toEqual({
      prompt_tokens: countChatTokens(messages),
      completion_tokens: tokens(texts),
      total_tokens: countChatTokens(messages) + tokens(texts),
    });
    expect(await chat({ n: 3 })).toMatchObject({ choices: three.choices });
  });

  it('caps each choice at max_tokens', async () => {
    const r = await chat({ n: 4, max_tokens: 3 });
    for (const c of r.choices) expect(countTextTokens(c.message.content)).toBeLessThanOrEqual(3);
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(12);
  });

  it('interleaves the choices of a stream, each delta with its index', async () => {
    const whole = await chat({ n: 2 });
    const text = await (
      await post('/v1/chat/completions', {
        model: 'gpt-4o-mini',
        messages,
        n: 2,
        stream: true,
        stream_options: { include_usage: true },
      })
    ).text();
    const events = sseJson(text);
    const withChoice = events.filter((e) => e.choices.length > 0);
    expect(withChoice.slice(0, 4).map((e) => e.choices[0].index)).toEqual([0, 1, 0, 1]);
    for (const c of whole.choices) {
      const mine = withChoice.filter((e) => e.choices[0].index === c.index).map((e) => e.choices[0]);
      expect(mine[0].delta.role).toBe('assistant');
      expect(mine.map((x) => x.delta.content ?? '').join('')).toBe(c.message.content);
      expect(mine.filter((x) => x.finish_reason === 'stop')).toHaveLength(1);
    }
    expect(events[events.length - 1].usage).toEqual(whole.usage);
  });

  it('answers one set of n choices per prompt of an array, indexed prompt * n + i', async () => {
    const prompts = ['Once upon', 'In a galaxy'];
    const r = await complete({ prompt: prompts, n: 2 });
    expect(r.choices.map((c: any) => c.index)).toEqual([0, 1, 2, 3]);
    for (const [p, prompt] of prompts.entries()) {
      const alone = await complete({ prompt, n: 2 });
      expect(r.choices[p * 2].text).toBe(alone.choices[0].text);
      expect(r.choices[p * 2 + 1].text).toBe(alone.choices[1].text);
    }
    expect(r.usage.prompt_tokens).toBe(tokens(prompts));
    expect(r.usage.completion_tokens).toBe(tokens(r.choices.map((c: any) => c.text)));
    // An array of token arrays is several prompts; one array of numbers is one prompt.
    const tokenised = await complete({ prompt: [[1, 2], [3]] });
    expect(tokenised.choices).toHaveLength(2);
    expect(tokenised.usage.prompt_tokens).toBe(3);
    expect((await complete({ prompt: [1, 2, 3] })).choices).toHaveLength(1);
  });

  it('generates best_of, returns n and bills all of them', async () => {
    const all = await complete({ prompt: ['a', 'b'], n: 3 });
    const r = await complete({ prompt: ['a', 'b'], n: 1, best_of: 3 });
    expect(r.choices.map((c: any) => c.index)).toEqual([0, 1]);
    expect(r.choices.map((c: any) => c.text)).toEqual([all.choices[0].text, all.choices[3].text]);
    expect(r.usage.completion_tokens).toBe(tokens(all.choices.map((c: any) => c.text)));
    expect(r.usage.completion_tokens).toBeGreaterThan(tokens(r.choices.map((c: any) => c.text)));
  });

  it('streams completions choices with their index and bills every prompt', async () => {
    const body = { model: 'gpt-4o-mini', prompt: ['x', 'y'], n: 2, stream: true };
    const events = sseJson(
      await (await post('/v1/completions', { ...body, stream_options: { include_usage: true } })).text(),
    );
    const whole = await complete({ prompt: ['x', 'y'], n: 2 });
    for (const c of whole.choices) {
      const mine = events.filter((e) => e.choices[0]?.index === c.index).map((e) => e.choices[0].text);
      expect(mine.join('')).toBe(c.text);
    }
    expect(events[events.length - 1].usage).toEqual(whole.usage);
  });

  it('rejects n and best_of that are not integers from 1 to 128, as OpenAI does', async () => {
    for (const [extra, param] of [
      [{ n: 0 }, 'n'],
      [{ n: 129 }, 'n'],
      [{ n: 1.5 }, 'n'],
      [{ n: '2' }, 'n'],
      [{ best_of: 0 }, 'best_of'],
      [{ n: 3, best_of: 2 }, 'best_of'],
    ] as const) {
      const r = await post('/v1/completions', { model: 'gpt-4o-mini', prompt: 'x', ...extra });
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).error).toMatchObject({ type: 'invalid_request_error', param });
    }
    expect((await post('/v1/chat/completions', { model: 'gpt-4o', messages, n: 0 })).status).toBe(400);
    expect((await chat({ n: 128, max_tokens: 1 })).choices).toHaveLength(128);
    expect((await chat({ n: null })).choices).toHaveLength(1);
  });

  it('off: one choice for the whole prompt, whatever n, best_of or prompt array', async () => {
    await control({ honourN: false });
    expect((await chat({ n: 3 })).choices).toHaveLength(1);
    const r = await complete({ prompt: ['a', 'b'], n: 0, best_of: 5 });
    expect(r.choices).toHaveLength(1);
    expect(r.usage.completion_tokens).toBe(countTextTokens(r.choices[0].text));
  });
});

describe('stats', () => {
  it('records the last request’s max_tokens, max_completion_tokens and n until resetStats', async () => {
    await chat({ max_tokens: 7, n: 2 });
    expect(await stats()).toMatchObject({ lastMaxTokens: 7, lastMaxCompletionTokens: null, lastN: 2 });
    await chat({ max_completion_tokens: 9 });
    expect(await stats()).toMatchObject({ lastMaxTokens: null, lastMaxCompletionTokens: 9, lastN: null });
    await control({ resetStats: true });
    expect(await stats()).toMatchObject({ requests: 0, lastMaxCompletionTokens: null });
  });
});
