import { messagesToChat } from './anthropic-request.js';

const chat = (body: unknown) => {
  const r = messagesToChat(body);
  if ('error' in r) throw new Error(`refused: ${r.error.message}`);
  return r.chat;
};
const refused = (body: unknown) => {
  const r = messagesToChat(body);
  return 'error' in r ? r.error.param : undefined;
};

describe('messagesToChat', () => {
  it('carries system, text, sampling, stops, stream and the cap over', () => {
    expect(
      chat({
        model: 'm',
        max_tokens: 50,
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 5,
        stop_sequences: ['END'],
        stream: true,
        metadata: { user_id: 'u1' },
      }),
    ).toEqual({
      model: 'm',
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      stream: true,
      user: 'u1',
    });
  });

  it('turns tool_use into tool_calls and tool_result into tool messages ahead of the user’s text', () => {
    const body = chat({
      model: 'm',
      max_tokens: 50,
      tools: [{ name: 'w', description: 'd', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'w', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hm', signature: 's' },
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'sunny' }] },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    expect(body.tools).toEqual([
      { type: 'function', function: { name: 'w', description: 'd', parameters: { type: 'object' } } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'w' } });
    expect(body.parallel_tool_calls).toBe(false);
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } }],
      },
      { role: 'tool', tool_call_id: 't1', content: 'sunny' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('maps images and tool choices', () => {
    const body = chat({
      model: 'm',
      max_tokens: 5,
      tool_choice: { type: 'any' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
    });
    expect(body.tool_choice).toBe('required');
    expect((body.messages as { content: unknown }[])[0].content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
    ]);
  });

  it('refuses what it cannot honour, naming the field', () => {
    const base = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    expect(refused({ ...base, max_tokens: undefined })).toBe('max_tokens');
    expect(refused({ ...base, messages: [] })).toBe('messages');
    expect(refused({ ...base, messages: [{ role: 'system', content: 'x' }] })).toBe('messages.0.role');
    expect(refused({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toBe(
      'tools.0.type',
    );
    expect(
      refused({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }),
    ).toBe('messages.0.content.0.type');
    expect(
      refused({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b' }] }] }),
    ).toBe('messages.0.content.0.type');
    expect(refused({ ...base, tool_choice: { type: 'maybe' } })).toBe('tool_choice.type');
    expect(refused({ ...base, stop_sequences: [1] })).toBe('stop_sequences');
    expect(refused([])).toBeNull();
  });

  it('needs no max_tokens to count tokens', () => {
    const r = messagesToChat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { countOnly: true });
    expect(r).toEqual({ chat: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
  });
});
