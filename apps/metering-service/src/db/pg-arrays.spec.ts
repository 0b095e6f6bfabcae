import { scalarArray, textArray } from './pg-arrays.js';

describe('textArray', () => {
  it('leaves plain elements bare', () => {
    expect(
      textArray(['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'gpt-4o-mini', '2026-11-26T14:00:00.000Z']),
    ).toBe('{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b,gpt-4o-mini,2026-11-26T14:00:00.000Z}');
  });

  it('quotes what an array literal would read otherwise, escaping quotes and backslashes', () => {
    expect(textArray(['a,b', 'x}', '{y', 'two words', '', 'q"uote', 'back\\slash', ' pad '])).toBe(
      '{"a,b","x}","{y","two words","","q\\"uote","back\\\\slash"," pad "}',
    );
  });

  it('quotes the word NULL in any case and writes null as NULL', () => {
    expect(textArray(['NULL', 'null', 'NuLl', null, 'NULLS'])).toBe('{"NULL","null","NuLl",NULL,NULLS}');
  });

  it('quotes anything outside plain ASCII', () => {
    expect(textArray(['modèle', '模型', 'tab\there'])).toBe('{"modèle","模型","tab\there"}');
  });

  it('writes an empty array', () => {
    expect(textArray([])).toBe('{}');
    expect(scalarArray([])).toBe('{}');
  });
});

describe('scalarArray', () => {
  it('writes null and undefined as NULL (as pg did), never as text', () => {
    expect(scalarArray([1, null, undefined, 2])).toBe('{1,NULL,NULL,2}');
    expect(textArray(['a', undefined, null])).toBe('{a,NULL,NULL}');
  });

  it('writes numbers and booleans as Postgres reads them', () => {
    expect(scalarArray([0, 7, -3, 9_007_199_254_740_991])).toBe('{0,7,-3,9007199254740991}');
    expect(scalarArray([true, false])).toBe('{true,false}');
  });
});
