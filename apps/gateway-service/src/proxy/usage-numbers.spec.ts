import { countTextTokens } from '@gw/tokenizer';
import { promptTokens } from './usage-numbers.js';

const chat = (messages: unknown[], extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages,
  ...extra,
});
const base = promptTokens('chat.completions', chat([{ role: 'user', content: 'hi' }]), 'bound', 500);

describe('promptTokens bounds everything a provider bills as prompt', () => {
  it('counts tool calls and their arguments, tool results and other message fields', () => {
    const args = JSON.stringify({ q: 'x'.repeat(20_000) });
    const withCall = chat([
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }],
      },
    ]);
    expect(promptTokens('chat.completions', withCall, 'bound', 500)).toBeGreaterThan(countTextTokens(args));
    expect(promptTokens('chat.completions', withCall, 'estimate', 500)).toBeGreaterThan(2_000);
  });

  it('reserves the model media allowance for each image, audio or file part', () => {
    const parts = [
      { type: 'text', text: 'hi' },
      ...Array.from({ length: 10 }, () => ({ type: 'image_url', image_url: { url: 'https://x/y.png' } })),
    ];
    expect(
      promptTokens('chat.completions', chat([{ role: 'user', content: parts }]), 'bound', 500),
    ).toBeGreaterThanOrEqual(base + 5_000);
  });

  it('counts tools, schemas and predictions; a completions suffix', () => {
    const big = 'word '.repeat(5_000);
    for (const field of ['tools', 'response_format', 'prediction', 'functions'])
      expect(
        promptTokens(
          'chat.completions',
          chat([{ role: 'user', content: 'hi' }], { [field]: { text: big } }),
          'bound',
        ),
      ).toBeGreaterThan(5_000);
    expect(promptTokens('completions', { model: 'm', prompt: 'a', suffix: big }, 'bound')).toBeGreaterThan(
      5_000,
    );
  });

  it('counts special-token text as text', () => {
    expect(
      promptTokens('chat.completions', chat([{ role: 'user', content: 'say <|endoftext|> now' }]), 'bound'),
    ).toBeGreaterThan(base - 10);
  });
});
