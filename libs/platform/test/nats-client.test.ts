// NatsClient against the stack's real nats-server: typed requests and publishes as a service's identity.
// (Handlers run on Nest's transport: libs/nats-transport's tests.)
import { randomUUID } from 'node:crypto';
import { connectAs, natsIdentityConfig } from '@gw/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { NatsClient } from '../src/nats-client.js';

const logger = pino({ level: 'silent' });
let client: NatsClient;
let responder: NatsConnection;

beforeAll(async () => {
  client = new NatsClient(natsIdentityConfig('auth-service'), 'test-client', logger);
  await client.connect();
  responder = await connectAs('key-service');
});
afterAll(async () => {
  await Promise.all([client.close(), responder.close()]);
});

it('requests with the contract payload and returns the typed reply; replies arrive under its inbox prefix', async () => {
  const hash = randomUUID().replace(/-/g, '').repeat(2);
  const inboxes: string[] = [];
  // A plain responder in a queue group of its own (the stack's key-service may answer too: same reply).
  responder.subscribe('keys.lookup', {
    queue: `q-${randomUUID()}`,
    callback: (_e, m) => {
      inboxes.push(m.reply ?? '');
      m.respond(JSON.stringify({ ok: true, data: { found: false } }));
    },
  });
  await responder.flush();
  expect(await client.request('keys.lookup', { hash })).toEqual({ ok: true, data: { found: false } });
  expect(inboxes.every((i) => i.startsWith('_INBOX.auth-service.'))).toBe(true);
});

it('answers service_unavailable, as a value, when nobody may or does reply in time', async () => {
  const started = Date.now();
  // A subject nobody serves and this identity may not publish to (cast: the typed API names served subjects).
  const res = await client.request(
    `test.nobody.${randomUUID()}` as 'keys.get',
    { actor: { type: 'operator' }, id: randomUUID() },
    200,
  );
  expect(res).toEqual({ ok: false, error: expect.objectContaining({ code: 'service_unavailable' }) });
  expect(Date.now() - started).toBeLessThan(1000);
});
