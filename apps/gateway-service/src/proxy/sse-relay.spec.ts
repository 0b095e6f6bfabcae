import fc from 'fast-check';
import { countTextTokens, EXACT_COUNT_CHARS } from '@gw/tokenizer';
import { SseRelay } from './sse-relay.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta }], ...extra })}\n\n`;

/** Everything the relay writes for `pieces` fed in order, then the end of the stream. */
function relayAll(
  pieces: (Uint8Array | string)[],
  wantsUsage = true,
  relay = new SseRelay(wantsUsage),
): string {
  return pieces.map((p) => relay.push(p)).join('') + relay.end();
}

describe('SseRelay', () => {
  it('keeps a multibyte character split across chunks at any byte offset intact', () => {
    const stream = bytes(chunk({ content: 'é漢😀' }) + 'data: [DONE]\n\n');
    const whole = relayAll([stream]);
    expect(whole).toContain('é漢😀');
    expect(whole).not.toContain('\uFFFD');
    for (let i = 1; i < stream.length; i++) {
      for (let j = i; j < stream.length; j++) {
        const parts = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)];
        expect(relayAll(parts)).toBe(whole);
      }
    }
  });

  it.each([
    ['CRLF', '\r\n'],
    ['CR', '\r'],
    ['LF', '\n'],
  ])('delivers a %s-framed stream event by event as each completes', (_name, eol) => {
    const relay = new SseRelay(true);
    expect(relay.push(`data: one${eol}`)).toBe('');
    expect(relay.push(eol)).toBe('data: one\n\n');
    expect(relay.push(`data: two${eol}${eol}data: three${eol}`)).toBe('data: two\n\n');
    expect(relay.push(`${eol}`)).toBe('data: three\n\n');
    expect(relay.end()).toBe('');
  });

  it('joins a CRLF split between chunks', () => {
    const relay = new SseRelay(true);
    expect(relay.push('data: a\r')).toBe('');
    expect(relay.push('\ndata: b\r')).toBe(''); // that LF ends line a, it is no blank line
    expect(relay.push('\n\r')).toBe('data: a\ndata: b\n\n');
    expect(relay.push('\n')).toBe('');
    expect(relay.push('data: c\r\n\r\n')).toBe('data: c\n\n');
  });

  it('re-joins multi-line data and re-emits it line by line', () => {
    const relay = new SseRelay(true);
    const out = relay.push('data: {"choices":\ndata: [{"delta":{"content":"Hello world"}}]}\n\n');
    expect(out).toBe('data: {"choices":\ndata: [{"delta":{"content":"Hello world"}}]}\n\n');
    expect(relay.completionEstimate()).toBe(countTextTokens('Hello world'));
  });

  it('passes event types, ids, comments and retry through', () => {
    const out = relayAll([': keep-alive\n\nevent: message\nid: 7\ndata: x\n\nretry: 3000\n\n:\n\n']);
    expect(out).toBe(':keep-alive\n\nevent: message\nid: 7\ndata: x\n\nretry: 3000\n\n:\n\n');
  });

  it('passes [DONE], non-JSON and malformed JSON through, and never throws on garbage', () => {
    const stream = 'data: [DONE]\n\ndata: plain text\n\ndata: {"choices": [\n\n';
    expect(relayAll([stream])).toBe(stream);
    expect(relayAll(['{"error":"boom"}\nretry: soon\ndata: x\n\n'])).toBe('{"error":"boom"}\ndata: x\n\n');
  });

  it('delivers an unterminated last event at the end', () => {
    const relay = new SseRelay(true);
    expect(relay.push('data: last')).toBe('');
    expect(relay.end()).toBe('data: last\n\n');
    const cut = new SseRelay(true);
    expect(cut.push(bytes('data: é').subarray(0, 7))).toBe('');
    expect(cut.end()).toBe('data: \uFFFD\n\n');
  });

  it('hides the usage-only event unless the client asked, and learns usage either way', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 };
    const usageOnly = `data: ${JSON.stringify({ choices: [], usage })}\n\n`;
    const noChoices = `data: ${JSON.stringify({ usage })}\n\n`;
    const withChoice = chunk({ content: 'hi' }, { usage });
    const hidden = new SseRelay(false);
    expect(relayAll([usageOnly, noChoices, withChoice], false, hidden)).toBe(withChoice);
    expect(hidden.usage).toEqual(usage);
    const kept = new SseRelay(true);
    expect(relayAll([usageOnly, noChoices], true, kept)).toBe(usageOnly + noChoices);
    expect(kept.usage).toEqual(usage);
  });

  it('counts content, legacy text, tool calls, reasoning and refusals', () => {
    const cases: [string, string][] = [
      [chunk({ content: 'Hello' }) + chunk({ content: ' world' }), 'Hello world'],
      [`data: ${JSON.stringify({ choices: [{ text: 'Hello world' }] })}\n\n`, 'Hello world'],
      [
        chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"city":' } }] }),
        'get_weather{"city":',
      ],
      [
        chunk({ reasoning_content: 'Let me think' }) + chunk({ reasoning: ' about it' }),
        'Let me think about it',
      ],
      [chunk({ refusal: 'I cannot help with that' }), 'I cannot help with that'],
      [chunk({ content: [{ type: 'text', text: 'parts' }] }), 'parts'],
    ];
    for (const [stream, text] of cases) {
      const relay = new SseRelay(true);
      relayAll([stream], true, relay);
      expect(relay.completionEstimate()).toBe(countTextTokens(text));
    }
    expect(new SseRelay(true).completionEstimate()).toBe(0);
  });

  it('estimates 1 MiB of deltas from a bounded sample', () => {
    const relay = new SseRelay(true);
    const piece = 'The quick brown fox jumps over the lazy dog. ';
    const event = chunk({ content: piece });
    let delivered = 0;
    while (delivered < 1 << 20) {
      relay.push(event);
      delivered += piece.length;
    }
    relay.push(chunk({ content: 'x'.repeat(1 << 20) })); // one huge delta too
    relay.end();
    const held = relay['sample'] as string[];
    expect(held.reduce((n, p) => n + p.length, 0)).toBeLessThanOrEqual(EXACT_COUNT_CHARS);
    const estimate = relay.completionEstimate();
    expect(estimate).toBeGreaterThan(0);
    expect(estimate).toBeLessThan(2 * (1 << 20)); // well under one token per character
  });

  it('yields the same events whatever the chunk boundaries and line endings', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\r\n\0]/.test(s));
    const item = fc.oneof(
      fc.record({
        data: fc.array(line, { minLength: 1, maxLength: 3 }),
        event: fc.option(line.filter((s) => s !== '')),
        id: fc.option(line),
      }),
      fc.record({ comment: line }),
      fc.record({ retry: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 6 }),
        (items, eol, cuts) => {
          let stream = '';
          let expected = '';
          for (const it of items) {
            if ('comment' in it) {
              stream += `: ${it.comment}${eol}${eol}`;
              expected += `:${it.comment}\n\n`;
            } else if ('retry' in it) {
              stream += `retry: ${it.retry}${eol}${eol}`;
              expected += `retry: ${it.retry}\n\n`;
            } else {
              const head =
                (it.event !== null ? `event: ${it.event}\n` : '') + (it.id !== null ? `id: ${it.id}\n` : '');
              const body = it.data.map((d) => `data: ${d}\n`).join('');
              stream += (head + body).replaceAll('\n', eol) + eol;
              expected += `${head}${body}\n`;
            }
          }
          const all = bytes(stream);
          const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const parts = [0, ...at].map((from, i) => all.subarray(from, i < at.length ? at[i] : all.length));
          expect(relayAll([all])).toBe(expected);
          expect(relayAll(parts)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
