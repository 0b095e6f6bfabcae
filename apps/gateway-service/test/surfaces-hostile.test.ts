// The translated surfaces against hostile bodies: /v1/messages and /v1/messages/count_tokens (Anthropic's) and
// /v1/responses (OpenAI's), with arbitrary JSON at the top and inside messages, items, blocks, tools and
// choices. Every answer is a 200 or a 4xx in the surface's own envelope, never a 500, and nothing reaches the
// hot routes' error boundary.
import fc from 'fast-check';
import { type DemoGateway, startDemoGateway } from './harness.js';

let demo: DemoGateway;
let gw: DemoGateway['gw'];
let key: string;

beforeAll(async () => {
  demo = await startDemoGateway();
  ({ gw } = demo);
  key = demo.key.key;
}, 60_000);
afterAll(async () => {
  await demo?.stop();
});

const escapedErrors = async () => {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  return Number(/^gateway_route_errors_total (\d+)/m.exec(text)?.[1] ?? 0);
};

const block = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      type: fc.constantFrom('text', 'image', 'tool_use', 'tool_result', 'thinking', 'document'),
      text: fc.jsonValue(),
      id: fc.jsonValue(),
      name: fc.jsonValue(),
      input: fc.jsonValue(),
      tool_use_id: fc.jsonValue(),
      content: fc.jsonValue(),
      source: fc.jsonValue(),
    },
    { requiredKeys: ['type'] },
  ),
);
const message = fc.oneof(
  fc.jsonValue(),
  fc.record({
    role: fc.oneof(fc.constantFrom('user', 'assistant'), fc.jsonValue()),
    content: fc.oneof(fc.string(), fc.array(block, { maxLength: 4 }), fc.jsonValue()),
  }),
);
const body = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      model: fc.oneof(fc.constant('gpt-4o-mini'), fc.jsonValue()),
      max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.jsonValue()),
      messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
      system: fc.jsonValue(),
      tools: fc.oneof(
        fc.array(fc.record({ name: fc.jsonValue(), input_schema: fc.jsonValue(), type: fc.jsonValue() }), {
          maxLength: 2,
        }),
        fc.jsonValue(),
      ),
      tool_choice: fc.oneof(fc.record({ type: fc.jsonValue(), name: fc.jsonValue() }), fc.jsonValue()),
      stop_sequences: fc.jsonValue(),
      temperature: fc.jsonValue(),
      stream: fc.oneof(fc.boolean(), fc.jsonValue()),
      metadata: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

/** A valid request with one field replaced by anything: the deeper paths (translation, the provider) run. */
const VALID = { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] };
const nearValid = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        'system',
        'tools',
        'tool_choice',
        'stop_sequences',
        'temperature',
        'top_p',
        'stream',
        'metadata',
        'top_k',
      ),
      fc.jsonValue(),
    )
    .map(([field, value]) => ({ ...VALID, [field]: value })),
  fc
    .array(block, { minLength: 1, maxLength: 4 })
    .map((content) => ({ ...VALID, messages: [{ role: 'user', content }] })),
  fc.array(block, { minLength: 1, maxLength: 4 }).map((content) => ({
    ...VALID,
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content },
      { role: 'user', content: 'And?' },
    ],
  })),
);

const VALID_RESPONSES = { model: 'gpt-4o-mini', input: 'Hi', max_output_tokens: 20 };
const item = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      type: fc.constantFrom(
        'message',
        'function_call',
        'function_call_output',
        'reasoning',
        'item_reference',
      ),
      role: fc.oneof(fc.constantFrom('user', 'assistant', 'developer', 'system'), fc.jsonValue()),
      content: fc.oneof(
        fc.string(),
        fc.array(
          fc.oneof(
            fc.jsonValue(),
            fc.record({
              type: fc.constantFrom('input_text', 'input_image', 'output_text', 'input_file'),
              text: fc.jsonValue(),
              image_url: fc.jsonValue(),
            }),
          ),
          { maxLength: 3 },
        ),
      ),
      call_id: fc.jsonValue(),
      name: fc.jsonValue(),
      arguments: fc.jsonValue(),
      output: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);
const responsesBody = fc.oneof(
  fc.jsonValue(),
  fc
    .tuple(
      fc.constantFrom(
        'instructions',
        'tools',
        'tool_choice',
        'text',
        'temperature',
        'stream',
        'parallel_tool_calls',
        'store',
        'previous_response_id',
        'max_output_tokens',
        'metadata',
      ),
      fc.jsonValue(),
    )
    .map(([field, value]) => ({ ...VALID_RESPONSES, [field]: value })),
  fc.array(item, { minLength: 1, maxLength: 4 }).map((input) => ({ ...VALID_RESPONSES, input })),
);

it('answers every Responses body with a 200 or a 4xx in OpenAI’s envelope, and no error escapes', async () => {
  const before = await escapedErrors();
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(responsesBody, async (b) => {
      const res = await fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
      if (res.status !== 200) {
        const { error } = JSON.parse(text);
        expect([typeof error.message, typeof error.type, typeof error.code, 'param' in error]).toEqual([
          'string',
          'string',
          'string',
          true,
        ]);
      }
    }),
    { numRuns: 300 },
  );
  console.log('hostile /v1/responses bodies, answers by status:', Object.fromEntries(statuses));
  expect(await escapedErrors()).toBe(before);
}, 120_000);

it('answers every body with a 200 or a 4xx in Anthropic’s envelope, and no error escapes', async () => {
  const before = await escapedErrors();
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(body, nearValid),
      fc.constantFrom('/v1/messages', '/v1/messages/count_tokens'),
      async (b, route) => {
        const res = await fetch(`${gw.url}${route}`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify(b),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        if (res.status !== 200) {
          const json = JSON.parse(text);
          expect(json).toEqual({
            type: 'error',
            error: { type: expect.any(String), message: expect.any(String) },
          });
        }
      },
    ),
    { numRuns: 300 },
  );
  console.log('hostile /v1/messages bodies, answers by status:', Object.fromEntries(statuses));
  expect(await escapedErrors()).toBe(before);
}, 120_000);

it('answers objects that cannot be printed (a non-callable toString) with a 400, not a 500', async () => {
  const before = await escapedErrors();
  const odd = { toString: 1 };
  const cases: [string, Record<string, string>, unknown][] = [
    [
      '/v1/messages',
      { 'x-api-key': key },
      { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: [{ type: odd }] }] },
    ],
    [
      '/v1/messages',
      { 'x-api-key': key },
      {
        model: 'gpt-4o-mini',
        max_tokens: 5,
        tools: [{ type: odd, name: 'x' }],
        messages: [{ role: 'user', content: 'x' }],
      },
    ],
    ['/v1/responses', { authorization: `Bearer ${key}` }, { model: 'gpt-4o-mini', input: [{ type: odd }] }],
    [
      '/v1/responses',
      { authorization: `Bearer ${key}` },
      { model: 'gpt-4o-mini', input: 'x', tools: [{ type: odd }] },
    ],
    [
      '/v1/responses',
      { authorization: `Bearer ${key}` },
      { model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: odd }] }] },
    ],
  ];
  for (const [route, headers, b] of cases) {
    const res = await fetch(`${gw.url}${route}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(b),
    });
    expect([route, res.status]).toEqual([route, 400]);
  }
  expect(await escapedErrors()).toBe(before);
});

it('keeps one metrics series for GET /v1/models/{model}, whatever names are asked for', async () => {
  for (let i = 0; i < 3; i++) await fetch(`${gw.url}/v1/models/random-${i}-${Date.now()}`);
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  expect(text).toContain('route="/v1/models/{model}"');
  expect(text).not.toMatch(/route="\/v1\/models\/random-/);
});
