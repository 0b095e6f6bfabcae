import { readInferenceBody, type InferenceBody } from './inference-body.js';
import { upstreamBody } from './upstream-body.js';

const target: { upstreamModel: string; capField: 'max_tokens' | 'max_completion_tokens' } = {
  upstreamModel: 'm',
  capField: 'max_tokens',
};
function forward(
  endpoint: 'chat.completions' | 'completions' | 'embeddings' | 'generate',
  text: string,
  cap = 100,
  t = target,
) {
  const body = readInferenceBody(endpoint, JSON.parse(text), { maxChoices: 16 }) as InferenceBody;
  // As the handler computes it: the smaller of the client's caps and the ceiling.
  const out = upstreamBody(endpoint, body, Buffer.from(text), t, Math.min(body.maxTokens ?? cap, cap));
  return { out, json: JSON.parse(out.toString()) };
}
const messages = '[{"role":"user","content":"hi"}]';

describe('upstreamBody', () => {
  it('always writes the cap, splicing it in front of the client bytes when the client named none', () => {
    const text = ` {"model":"m","messages":${messages},"temperature":0.5}`;
    const { out, json } = forward('chat.completions', text);
    expect(json).toEqual({ max_tokens: 100, model: 'm', messages: JSON.parse(messages), temperature: 0.5 });
    expect(out.toString()).toBe(` {"max_tokens":100,"model":"m","messages":${messages},"temperature":0.5}`);
    expect(
      forward('chat.completions', `{"model":"m","messages":${messages}}`, 100, {
        ...target,
        capField: 'max_completion_tokens',
      }).json,
    ).toMatchObject({ max_completion_tokens: 100 });
  });

  it('passes the bytes through untouched when nothing must change', () => {
    const text = `{"model":"m","messages":${messages},"max_tokens":50}`;
    expect(forward('chat.completions', text).out.toString()).toBe(text);
    const emb = '{"model":"m","input":"x"}';
    expect(forward('embeddings', emb).out.toString()).toBe(emb);
  });

  it('caps every field the client sent above the model ceiling, and replaces a null one', () => {
    expect(
      forward(
        'chat.completions',
        `{"model":"m","messages":${messages},"max_tokens":5000,"max_completion_tokens":9000}`,
      ).json,
    ).toMatchObject({ max_tokens: 100 });
    // Exactly one cap, in the field the provider reads: the client's other field is moved into it.
    const moved = forward(
      'chat.completions',
      `{"model":"m","messages":${messages},"max_completion_tokens":10}`,
    ).json;
    expect(moved).toMatchObject({ max_tokens: 10 });
    expect(moved).not.toHaveProperty('max_completion_tokens');
    const both = forward(
      'chat.completions',
      `{"model":"m","messages":${messages},"max_tokens":5000,"max_completion_tokens":9000}`,
    ).json;
    expect(both).not.toHaveProperty('max_completion_tokens');
    expect(forward('completions', '{"model":"m","prompt":"p","max_tokens":null}').json).toMatchObject({
      max_tokens: 100,
    });
  });

  it('asks a stream for usage, and renames the model for its provider', () => {
    const { json } = forward('chat.completions', `{"model":"m","messages":${messages},"stream":true}`, 100, {
      ...target,
      upstreamModel: 'up',
    });
    expect(json).toMatchObject({ model: 'up', stream_options: { include_usage: true }, max_tokens: 100 });
    expect(
      forward('completions', '{"model":"m","prompt":"p","stream":true,"stream_options":{"x":1}}').json
        .stream_options,
    ).toEqual({ x: 1, include_usage: true });
  });

  it('turns generate into a capped chat request', () => {
    expect(forward('generate', '{"model":"m","prompt":"hello","max_tokens":7}', 7).json).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hello' }],
      stream: false,
      max_tokens: 7,
    });
  });
});
