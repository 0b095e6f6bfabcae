import { contentText, countChatTokens, countInputTokens, countTextTokens } from './count.js';

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
});
