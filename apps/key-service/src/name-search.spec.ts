import { containsPattern } from './name-search.js';

describe('containsPattern', () => {
  it('wraps the text for a contains match', () => {
    expect(containsPattern('prod')).toBe('%prod%');
  });
  it('takes LIKE wildcards and the escape character literally', () => {
    expect(containsPattern('50%_off\\x')).toBe('%50\\%\\_off\\\\x%');
  });
});
