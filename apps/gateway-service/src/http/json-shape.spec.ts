import fc from 'fast-check';
import { JsonShapeScanner, type ShapeProblem } from './json-shape.js';

const depthOf = (v: unknown): number =>
  v && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;

function scan(text: string, limits: { maxDepth?: number; maxValues?: number } = {}, cuts: number[] = []) {
  const bytes = Buffer.from(text);
  const s = new JsonShapeScanner({ maxDepth: 1_000, maxValues: 1e9, ...limits });
  let from = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    const problem: ShapeProblem | undefined = s.push(bytes.subarray(from, cut));
    if (problem) return problem;
    from = cut;
  }
  return undefined;
}

describe('JsonShapeScanner', () => {
  it('refuses a 3-million-level nested array at the first level past the bound', () => {
    expect(scan('{"model":"x","messages":' + '['.repeat(3_000_000), { maxDepth: 32 })).toBe('too_deep');
  });

  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    expect(scan('{"a":"[[[[[[[[[[\\"[[[[,,,,,[[[[["}', { maxDepth: 3, maxValues: 100 })).toBeUndefined();
    expect(scan('{"a":"\\\\"}', { maxDepth: 1 })).toBeUndefined();
    expect(scan('[[["x"]]]', { maxDepth: 2 })).toBe('too_deep');
  });

  it('refuses wide bodies past the element budget: objects and arrays cost more than scalars', () => {
    expect(scan(`[${Array(1000).fill(1).join(',')}]`, { maxValues: 2_000 })).toBeUndefined();
    expect(scan(`[${Array(3000).fill(1).join(',')}]`, { maxValues: 2_000 })).toBe('too_many_values');
    expect(scan(`[${Array(300).fill('{}').join(',')}]`, { maxValues: 2_000 })).toBe('too_many_values');
  });

  it('refuses a repeated top-level key, however it is escaped or cut', () => {
    expect(scan('{"model":"a","n":1,"model":"b"}')).toEqual({ duplicate: 'model' });
    expect(scan('{"model":"a","mod\\u0065l":"b"}', {}, [10, 17])).toEqual({ duplicate: 'model' });
    expect(scan('{"a":{"model":1,"model":2},"model":3}')).toBeUndefined(); // nested keys are the provider's business
    expect(scan('[{"model":1},{"model":2}]')).toBeUndefined();
    expect(scan('{"max_tokens":1, "x":"\\"max_tokens\\"", "y":["max_tokens"]}')).toBeUndefined();
  });

  it('agrees with the real depth of any JSON value, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 8 }),
        fc.array(fc.nat(400)),
        fc.integer({ min: 1, max: 8 }),
        (v, cuts, max) => {
          expect(scan(JSON.stringify(v), { maxDepth: max }, cuts) === 'too_deep').toBe(depthOf(v) > max);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never sees a duplicate in what JSON.stringify writes (its keys are unique), however cut', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        fc.array(fc.nat(400)),
        (o, cuts) => {
          expect(scan(JSON.stringify(o), {}, cuts)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
