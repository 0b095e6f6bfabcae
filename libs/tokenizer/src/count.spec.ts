import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { contentText, countChatTokens, countInputTokens, countTextTokens } from './count.js';
import { countChunked, EXACT_COUNT_CHARS, TokenCounter } from './counter.js';

const ENGLISH = `The gateway counts tokens locally when an upstream reports no usage. It reserves an upper bound
before the call, so a quota can never be overspent, and bills an estimate afterwards. Both must be cheap: the
counting runs on the event loop that serves every other request, and a single slow count stalls them all.
Long words, numbers like 1234567 and 3.14159, contractions such as don't, we're and it's, "quotes", (parentheses),
and punctuation... all go through the same pretokenizer; splitting at spaces before words keeps every pretoken
whole, which is why the chunked count matches the count of the whole text exactly for ordinary prose like this.`;

const CODE = `export class SseRelay {
  private readonly decoder = new TextDecoder('utf-8');
  private out = '';

  constructor(private readonly clientWantsUsage: boolean) {}

  push(chunk: Uint8Array | string): string {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text) this.parser.feed(text);
    const out = this.out;
    this.out = '';
    return out;
  }
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
for (let i = 0; i < 10; i++) console.log(\`fib(\${i}) = \${fib(i)}\`);
`;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A deterministic 1 MiB text of `alphabet` characters picked by a small LCG. */
function pathological(alphabet: string[]): string {
  const parts: string[] = [];
  let seed = 42;
  for (let n = 0; n < 1 << 20; n++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    parts.push(alphabet[seed % alphabet.length]!);
  }
  return parts.join('');
}

/** The real tokenizer, recording how many characters it was given. */
function spy() {
  const seen = { chars: 0, longest: 0 };
  const exact = (piece: string) => {
    seen.chars += piece.length;
    seen.longest = Math.max(seen.longest, piece.length);
    return countTokens(piece);
  };
  return { seen, exact };
}

describe('token counts', () => {
  it('counts text with o200k_base', () => {
    expect(countTextTokens('Hello world, this is a test.')).toBe(8);
    expect(countTextTokens('')).toBe(0);
  });

  it('frames chat messages as OpenAI does', () => {
    const one = countChatTokens([{ role: 'user', content: 'Hello' }]);
    expect(one).toBe(3 + 3 + countTextTokens('user') + countTextTokens('Hello'));
    expect(countChatTokens([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }])).toBe(one);
    expect(countChatTokens([{ role: 'user', content: 'Hello', name: 'bob' }])).toBe(
      one + 1 + countTextTokens('bob'),
    );
  });

  it('counts prompts and embedding inputs in every shape', () => {
    expect(countInputTokens('Hello world')).toBe(2);
    expect(countInputTokens(['Hello', 'world'])).toBe(2);
    expect(countInputTokens([1, 2, 3])).toBe(3);
    expect(countInputTokens([[1, 2], [3]])).toBe(3);
    expect(countInputTokens(42)).toBe(0);
    expect(contentText({ nope: true })).toBe('');
  });

  it('counts through the counting function it is given', () => {
    const chars = (t: string) => t.length;
    expect(countChatTokens([{ role: 'user', content: 'Hello', name: 'bob' }], chars)).toBe(
      3 + 3 + 4 + 5 + 1 + 3,
    );
    expect(countInputTokens([[1, 2], 'abc', ['de']], chars)).toBe(2 + 3 + 2);
  });
});

describe('chunked counting', () => {
  it('equals the whole-text count for prose and code', () => {
    for (const text of [ENGLISH, CODE, ENGLISH.repeat(5), CODE.repeat(5)]) {
      expect(text.length).toBeGreaterThan(128);
      expect(countTextTokens(text)).toBe(countTokens(text));
      expect(new TokenCounter(Infinity).estimate(text)).toBe(countTokens(text));
    }
  });

  it('hands the tokenizer pieces of at most 128 characters, never splitting a surrogate pair', () => {
    for (const text of ['a'.repeat(100_000), '😀'.repeat(50_000), 'x😀'.repeat(30_000), ENGLISH.repeat(50)]) {
      let total = 0;
      countChunked(text, (piece) => {
        expect(piece.length).toBeLessThanOrEqual(128);
        expect(piece.charCodeAt(piece.length - 1) >> 10).not.toBe(0xd800 >> 10); // no trailing high half
        expect(piece.charCodeAt(0) >> 10).not.toBe(0xdc00 >> 10); // no leading low half
        total += piece.length;
        return 0;
      });
      expect(total).toBe(text.length);
    }
  });
});

describe('TokenCounter', () => {
  const words = fc.constantFrom(
    'hello',
    ' ',
    '\n',
    '\r\n',
    '\t',
    '  ',
    '😀',
    '漢字',
    'é',
    '{',
    '}',
    '==',
    ' quick',
    '123456',
    "'s",
  );
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 1024, size: 'max' }),
    fc.string({ unit: 'grapheme', maxLength: 1024, size: 'max' }),
    fc.string({ maxLength: 4096, size: 'max' }),
    fc.array(words, { maxLength: 1500, size: 'max' }).map((a) => a.join('')),
  );

  it('bounds the exact count of any text, whatever the budget', () => {
    fc.assert(
      fc.property(text, fc.nat(5000), (t, budget) => {
        const whole = countTokens(t);
        expect(new TokenCounter(budget).bound(t)).toBeGreaterThanOrEqual(whole);
        expect(new TokenCounter(Infinity).bound(t)).toBeGreaterThanOrEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('is the UTF-8 byte length beyond the budget', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(new TokenCounter(0).bound(t)).toBe(utf8(t));
        const spent = new TokenCounter(10);
        spent.bound('0123456789');
        expect(spent.bound(t)).toBe(utf8(t));
      }),
      { numRuns: 200 },
    );
    const head = 'hello world';
    expect(new TokenCounter(head.length).bound(head + ' 漢字')).toBe(countTokens(head) + utf8(' 漢字'));
  });

  it('shares one budget across calls', () => {
    const { seen, exact } = spy();
    const counter = new TokenCounter(100, exact);
    counter.bound(ENGLISH.slice(0, 60));
    expect(seen.chars).toBe(60);
    counter.estimate(ENGLISH.slice(0, 60));
    expect(seen.chars).toBe(100);
    counter.bound(ENGLISH);
    expect(seen.chars).toBe(100);
  });

  it('extrapolates estimates from what it counted, or from bytes when it counted nothing', () => {
    expect(new TokenCounter(0).estimate('abcdefgh')).toBe(2);
    expect(new TokenCounter(0).estimate('漢字')).toBe(2); // 6 bytes
    const long = ENGLISH.repeat(20);
    const estimate = new TokenCounter().estimate(long);
    expect(Math.abs(estimate / countTokens(long) - 1)).toBeLessThan(0.02);
  });

  it.each([
    ['a single letter run', ['a']],
    ['random punctuation', [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']],
    ['CJK', [...'的一是不了人我在有他这中大来上国个到说们为子和地出道也时年得就那要下以生会自之着去']],
  ])('passes at most the budget of a 1 MiB text of %s to the tokenizer', (_name, alphabet) => {
    const huge = pathological(alphabet);
    const { seen, exact } = spy();
    const counter = new TokenCounter(EXACT_COUNT_CHARS, exact);
    expect(counter.bound(huge)).toBeGreaterThanOrEqual(utf8(huge.slice(EXACT_COUNT_CHARS)));
    expect(counter.estimate(huge)).toBeGreaterThan(0);
    expect(
      countChatTokens([{ role: 'user', content: huge, name: huge }], (t) => counter.bound(t)),
    ).toBeGreaterThan(0);
    expect(seen.chars).toBeLessThanOrEqual(EXACT_COUNT_CHARS);
    expect(seen.longest).toBeLessThanOrEqual(128);
  });
});

describe('special-token text', () => {
  it('is counted as text, never thrown on', () => {
    for (const t of ['<|endoftext|>', 'a <|im_start|>system', '<|fim_prefix|><|fim_suffix|>'])
      for (const count of [
        countTextTokens,
        (x: string) => new TokenCounter().bound(x),
        (x: string) => new TokenCounter().estimate(x),
      ])
        expect(count(t)).toBeGreaterThan(0);
  });
});
