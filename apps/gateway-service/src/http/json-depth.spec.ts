import fc from 'fast-check';
import { JsonDepthScanner } from './json-depth.js';

const depthOf = (v: unknown): number =>
  v && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;

function scan(text: string, max: number, cuts: number[] = []): boolean {
  const bytes = Buffer.from(text);
  const s = new JsonDepthScanner(max);
  let from = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (!s.push(bytes.subarray(from, cut))) return false;
    from = cut;
  }
  return true;
}

describe('JsonDepthScanner', () => {
  it('refuses a 3-million-level nested array at the first level past the bound', () => {
    const deep = '{"model":"x","messages":' + '['.repeat(3_000_000);
    const s = new JsonDepthScanner(32);
    expect(s.push(Buffer.from(deep))).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(scan('{"a":"[[[[[[[[[[\\"[[[[[[[[["}', 3)).toBe(true);
    expect(scan('{"a":"\\\\"}', 1)).toBe(true);
    expect(scan('[[["x"]]]', 2)).toBe(false);
  });

  it('agrees with the real depth of any JSON value, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 8 }),
        fc.array(fc.nat(400)),
        fc.integer({ min: 1, max: 8 }),
        (v, cuts, max) => {
          expect(scan(JSON.stringify(v), max, cuts)).toBe(depthOf(v) <= max);
        },
      ),
      { numRuns: 300 },
    );
  });
});
