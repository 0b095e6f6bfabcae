import { readInferenceBody } from './inference-body.js';

const limits = { maxChoices: 16 };
const chat = (extra: Record<string, unknown> = {}) =>
  readInferenceBody(
    'chat.completions',
    { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra },
    limits,
  );
const param = (r: ReturnType<typeof readInferenceBody>) => ('code' in r ? r.param : 'ok');

describe('readInferenceBody', () => {
  it('counts every answer a request can make the provider generate', () => {
    expect(chat()).toMatchObject({ outputs: 1 });
    expect(chat({ n: 4 })).toMatchObject({ outputs: 4 });
    const completions = (extra: Record<string, unknown>) =>
      readInferenceBody('completions', { model: 'm', ...extra }, limits);
    expect(completions({ prompt: 'a', n: 2, best_of: 3 })).toMatchObject({ outputs: 3 });
    expect(completions({ prompt: ['a', 'b', 'c'], n: 2 })).toMatchObject({ outputs: 6 });
    expect(completions({ prompt: [1, 2, 3] })).toMatchObject({ outputs: 1 });
    expect(completions({ prompt: [[1, 2], [3]], best_of: 2 })).toMatchObject({ outputs: 4 });
    expect(readInferenceBody('embeddings', { model: 'm', input: ['a', 'b'] }, limits)).toMatchObject({
      outputs: 0,
    });
    expect(readInferenceBody('generate', { model: 'm', prompt: 'p' }, limits)).toMatchObject({ outputs: 1 });
  });

  it('refuses more answers than the configured maximum, naming the field', () => {
    expect(param(chat({ n: 17 }))).toBe('n');
    expect(param(chat({ n: 129 }))).toBe('n');
    expect(param(chat({ n: 0 }))).toBe('n');
    expect(param(chat({ n: 2.5 }))).toBe('n');
    const c = (extra: Record<string, unknown>) =>
      param(readInferenceBody('completions', { model: 'm', ...extra }, limits));
    expect(c({ prompt: 'a', best_of: 17 })).toBe('best_of');
    expect(c({ prompt: 'a', n: 3, best_of: 2 })).toBe('best_of');
    expect(c({ prompt: Array(17).fill('a') })).toBe('prompt');
    expect(c({ prompt: Array(8).fill('a'), n: 3 })).toBe('n');
    expect(c({ prompt: [] })).toBe('prompt');
    expect(c({ prompt: [{}] })).toBe('prompt');
  });

  it('validates both output caps; the smaller binds', () => {
    expect(chat({ max_tokens: 10, max_completion_tokens: 5 })).toMatchObject({ maxTokens: 5 });
    expect(chat({ max_completion_tokens: 7 })).toMatchObject({ maxTokens: 7 });
    expect(chat({ max_tokens: null })).toMatchObject({ maxTokens: undefined });
    expect(param(chat({ max_completion_tokens: -1 }))).toBe('max_completion_tokens');
    expect(param(chat({ max_completion_tokens: '5' }))).toBe('max_completion_tokens');
    expect(param(chat({ max_tokens: 1.5 }))).toBe('max_tokens');
    expect(param(readInferenceBody('generate', { model: 'm', prompt: 'p', max_tokens: 0 }, limits))).toBe(
      'max_tokens',
    );
  });

  it('names the field of every other mistake', () => {
    expect(param(readInferenceBody('chat.completions', [], limits))).toBe(null);
    expect(param(chat({ stream: 'yes' }))).toBe('stream');
    expect(param(chat({ stream_options: [] }))).toBe('stream_options');
    expect(param(readInferenceBody('chat.completions', { model: 'm', messages: [null] }, limits))).toBe(
      'messages.0.role',
    );
    expect(param(readInferenceBody('embeddings', { model: 'm', input: 'x', stream: true }, limits))).toBe(
      'stream',
    );
    expect(param(readInferenceBody('generate', { model: 'm', prompt: 'p', n: 2 }, limits))).toBe('n');
  });
});
