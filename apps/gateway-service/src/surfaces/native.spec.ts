import {
  nativeAnswerTexts,
  nativeBody,
  nativeMediaParts,
  storedReference,
  NativeStreamMeter,
  nativeUsage,
  readNativeBody,
  unboundedForLimitedKey,
} from './native.js';
import { bad } from '../http/body-checks.js';

describe('nativeBody', () => {
  it('writes the provider’s model and the cap into the surface’s own field', () => {
    const json = { model: 'alias', input: 'x', reasoning: { effort: 'low' } };
    expect(JSON.parse(nativeBody('responses', json, 'up', 300))).toEqual({
      model: 'up',
      input: 'x',
      reasoning: { effort: 'low' },
      max_output_tokens: 300,
    });
    const m = { model: 'm', max_tokens: 9000, messages: [] };
    expect(JSON.parse(nativeBody('messages', m, 'm', 4096))).toMatchObject({ max_tokens: 4096 });
  });

  it('asks the provider to store a Response only when the request needs the provider’s state', () => {
    const json = { model: 'm', input: 'x' };
    expect(JSON.parse(nativeBody('responses', json, 'm', 1, { unstored: true })).store).toBe(false);
    // store: true never comes translatable (it needs the provider's state): sent as the client gave it.
    expect(JSON.parse(nativeBody('responses', { ...json, store: true }, 'm', 1)).store).toBe(true);
    expect(JSON.parse(nativeBody('responses', json, 'm', 1)).store).toBeUndefined();
    // null is the provider's default (stored): not for a request the gateway could have translated.
    expect(
      JSON.parse(nativeBody('responses', { ...json, store: null }, 'm', 1, { unstored: true })).store,
    ).toBe(false);
    expect(JSON.parse(nativeBody('messages', json, 'm', 1, { unstored: true })).store).toBeUndefined();
  });

  it('sends one value of a field the client gave twice in a nested object: the one the gateway read', () => {
    const json = JSON.parse('{"model":"m","input":[{"role":"user","content":"a","content":"b"}]}');
    expect(nativeBody('responses', json, 'm', 5)).toBe(
      '{"model":"m","input":[{"role":"user","content":"b"}],"max_output_tokens":5}',
    );
  });
});

describe('nativeUsage', () => {
  it('reads the Responses API’s counts', () => {
    expect(nativeUsage('responses', { input_tokens: 3, output_tokens: 4, total_tokens: 7 })).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
    });
  });

  it('bills Anthropic’s cache reads and writes as prompt', () => {
    expect(
      nativeUsage('messages', {
        input_tokens: 3,
        cache_creation_input_tokens: 5,
        cache_read_input_tokens: 7,
        output_tokens: 2,
      }),
    ).toEqual({ prompt_tokens: 15, completion_tokens: 2 });
  });

  it('has nothing to say of a missing or malformed usage (then the answer is estimated, not free)', () => {
    expect(nativeUsage('messages', undefined)).toBeUndefined();
    expect(nativeUsage('messages', { output_tokens: 2 })).toBeUndefined();
    expect(nativeUsage('responses', { input_tokens: 2 })).toBeUndefined();
    expect(nativeUsage('responses', { input_tokens: 2, output_tokens: '9' })).toBeUndefined();
    expect(nativeUsage('responses', [1, 2])).toBeUndefined();
  });
});

describe('nativeAnswerTexts', () => {
  it('finds text, tool input and function arguments in either answer', () => {
    expect(
      nativeAnswerTexts('responses', {
        output: [
          {
            type: 'message',
            content: [
              { type: 'output_text', text: 'hi' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
          { type: 'function_call', name: 'f', arguments: '{"a":1}' },
          null,
        ],
      }),
    ).toEqual(['hi', 'no', '{"a":1}', 'f']);
    expect(
      nativeAnswerTexts('messages', {
        content: [
          { type: 'text', text: 'hi' },
          { type: 'tool_use', name: 'f', input: { a: 1 } },
        ],
      }),
    ).toEqual(['hi', '{"a":1}', 'f']);
    expect(nativeAnswerTexts('messages', { content: 'not an array' })).toEqual([]);
  });
});

describe('NativeStreamMeter', () => {
  it('has usage only once a Responses stream ends with it, and learns the Response’s id', () => {
    const meter = new NativeStreamMeter('responses');
    const texts: unknown[] = [];
    meter.learn(
      { type: 'response.created', response: { id: 'resp_1', status: 'in_progress' } },
      () => undefined,
    );
    meter.learn({ type: 'response.output_text.delta', delta: 'a' }, (t) => texts.push(t));
    meter.learn({ type: 'response.function_call_arguments.delta', delta: '{' }, (t) => texts.push(t));
    expect(meter.usage).toBeUndefined();
    meter.learn(
      { type: 'response.incomplete', response: { usage: { input_tokens: 5, output_tokens: 6 } } },
      () => undefined,
    );
    expect(meter.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6 });
    expect(texts).toEqual(['a', '{']);
    expect(meter.responseId).toBe('resp_1');
  });

  it('joins message_start’s input with message_delta’s cumulative output, ignoring nulls', () => {
    const meter = new NativeStreamMeter('messages');
    const texts: unknown[] = [];
    const text = (t: unknown) => texts.push(t);
    meter.learn(
      {
        type: 'message_start',
        message: { usage: { input_tokens: 10, cache_read_input_tokens: 2, output_tokens: 1 } },
      },
      text,
    );
    expect(meter.usage).toBeUndefined(); // a stream cut here is estimated, not billed one output token
    expect(meter.prompt).toBe(12); // …but its prompt is known
    meter.learn(
      { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '{"a"' } },
      text,
    );
    meter.learn({ type: 'message_delta', usage: { output_tokens: 30, input_tokens: null } }, text);
    expect(meter.usage).toEqual({ prompt_tokens: 12, completion_tokens: 30 });
    expect(texts).toEqual(['{"a"']);
  });
});

describe('readNativeBody', () => {
  it('checks only what the limits depend on', () => {
    expect(
      readNativeBody('responses', { model: 'm', input: [{ type: 'reasoning' }], stream: true }),
    ).toMatchObject({
      model: 'm',
      stream: true,
      maxTokens: undefined,
      outputs: 1,
    });
    expect(readNativeBody('messages', { model: 'm', max_tokens: 50 })).toMatchObject({ maxTokens: 50 });
    expect(readNativeBody('messages', { model: 'm', max_tokens: 0 })).toMatchObject({ param: 'max_tokens' });
    expect(readNativeBody('responses', { model: 'm', max_output_tokens: 1.5 })).toMatchObject({
      param: 'max_output_tokens',
    });
    expect(readNativeBody('responses', { model: 7 })).toMatchObject({ param: 'model' });
    expect(readNativeBody('responses', { model: 'm', stream: 'yes' })).toMatchObject({ param: 'stream' });
  });

  it('never passes a background response', () => {
    expect(readNativeBody('responses', { model: 'm', background: true })).toMatchObject({
      param: 'background',
    });
  });

  it('explains a refusal for a key with a spending limit on the same field', () => {
    expect(unboundedForLimitedKey(bad('previous_response_id', 'kept nowhere'))).toMatchObject({
      code: 'invalid_request',
      param: 'previous_response_id',
      message: expect.stringMatching(/spending limit/),
    });
  });
});

describe('what a passed-through body holds', () => {
  it('leaves the client’s service tier out (its price is not in the price book)', () => {
    expect(
      JSON.parse(nativeBody('responses', { model: 'm', service_tier: 'priority' }, 'm', 1)),
    ).not.toHaveProperty('service_tier');
  });

  it('counts media parts anywhere, also where the translation drops them', () => {
    const image = { type: 'input_image', image_url: 'https://x.test/a.png' };
    expect(
      nativeMediaParts({
        model: 'm',
        input: [
          { type: 'function_call_output', call_id: 'c', output: [image, image] },
          { role: 'assistant', content: [image] },
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'url', url: 'u' } }, { type: 'document' }],
          },
        ],
      }),
    ).toBe(5);
    expect(nativeMediaParts({ model: 'm', input: 'text' })).toBe(0);
  });

  it('finds references to what the provider keeps in the operator’s account', () => {
    expect(storedReference('responses', { input: [{ type: 'item_reference', id: 'msg_1' }] })).toBe(
      'input.0',
    );
    expect(
      storedReference('responses', { input: ['x', { type: 'reasoning', id: 'rs_1', summary: [] }] }),
    ).toBe('input.1');
    expect(
      storedReference('responses', { input: [{ type: 'reasoning', id: 'rs_1', encrypted_content: 'e' }] }),
    ).toBeUndefined();
    expect(storedReference('responses', { prompt: { id: 'pmpt_1' }, input: 'x' })).toBe('prompt');
    expect(storedReference('messages', { prompt: 'x' })).toBeUndefined();
  });

  it('tells the Response’s id once, from the first event that carries it', () => {
    const ids: unknown[] = [];
    const meter = new NativeStreamMeter('responses', (id) => ids.push(id));
    meter.learn({ type: 'response.created', response: { id: 'resp_1' } }, () => undefined);
    meter.learn({ type: 'response.completed', response: { id: 'resp_1', usage: {} } }, () => undefined);
    expect(ids).toEqual(['resp_1']);
  });
});
