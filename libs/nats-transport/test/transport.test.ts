// The Nest transport against the stack's real nats-server, each side as the identity that may do its part:
// contract checks before handlers, the {ok, data} / {ok, error} replies, queue groups, fan-out events,
// a thrown handler, the typed client, and the example of another team's app creating a key.
import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, type NatsContext, Payload } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { type ApiError, type RpcPayload } from '@gw/contracts';
import {
  adminClient,
  connectAs,
  natsOptions,
  pollUntil,
  type RunningService,
  startService,
} from '@gw/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractNatsServer, InternalNatsClient, RemoteError } from '../src/index.js';
import { main as createKeyExample } from '../example/create-key.js';

const queue = `test-${randomUUID()}`;
const seen: string[] = [];
const events: { subject: string; data: unknown }[] = [];
const invalid: { channel: string; error: ApiError }[] = [];

@Controller()
class TestHandlers {
  // A queue group of its own: this handler gets every request even while the stack's key-service runs.
  @MessagePattern('keys.lookup', { queue })
  lookup(@Payload() r: RpcPayload<'keys.lookup'>) {
    seen.push(r.hash);
    if (r.hash === 'e'.repeat(64)) throw new Error('boom');
    return { ok: true, value: { found: false } };
  }

  // No queue group: a fan-out subscriber (the stack's key-service, in its queue group, gets them too).
  @EventPattern<string>('keys.events.quota_exhausted')
  exhausted(@Payload() data: unknown, @Ctx() ctx: NatsContext) {
    events.push({ subject: ctx.getSubject(), data });
  }
}

@Module({ controllers: [TestHandlers] })
class TestModule {}

let server: INestMicroservice;
let auth: NatsConnection;
let gateway: NatsConnection;
let keyService: RunningService;

beforeAll(async () => {
  server = await NestFactory.createMicroservice(TestModule, {
    logger: false,
    // As key-service: it may answer keys.lookup and receive quota exhaustion.
    strategy: new ContractNatsServer({
      connect: natsOptions('key-service'),
      onInvalid: (channel, _subject, error) => invalid.push({ channel, error }),
    }),
  });
  await server.listen();
  [auth, gateway, keyService] = await Promise.all([
    connectAs('auth-service'),
    connectAs('gateway'),
    startService('key-service'),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([auth.close(), gateway.close(), keyService.stop()]);
  await server.close();
});

const ask = async (body: string) => (await auth.request('keys.lookup', body, { timeout: 3000 })).json<any>();

it('answers a handler in its queue group with {ok: true, data}, on the bare JSON wire format', async () => {
  const hash = randomUUID().replace(/-/g, '').repeat(2);
  expect(await ask(JSON.stringify({ hash }))).toEqual({ ok: true, data: { found: false } });
  expect(seen).toContain(hash);
});

it('refuses a request that breaks its contract before the handler, naming the field', async () => {
  const before = seen.length;
  for (const body of [
    'not json',
    'null',
    JSON.stringify({ hash: 'x' }),
    JSON.stringify({ hash: 'a'.repeat(64), x: 1 }),
  ]) {
    const reply = await ask(body);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  }
  // The stack's key-service may have answered first: wait for ours to have refused all four too.
  await pollUntil(
    async () => invalid.filter((i) => i.channel === 'keys.lookup').length,
    (n) => n >= 4,
    3000,
  );
  expect(seen.length).toBe(before);
});

/** Every reply to one request within `ms` (a key-service may answer beside the test's handler). */
async function allReplies(body: string, ms = 500) {
  const inbox = `_INBOX.auth-service.${randomUUID().replace(/-/g, '')}`;
  const got: any[] = [];
  const sub = auth.subscribe(inbox, { callback: (_e, m) => void got.push(m.json()) });
  auth.publish('keys.lookup', body, { reply: inbox });
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  return got;
}

it('answers internal_error, as a value and without the error, when a handler throws', async () => {
  const replies = await allReplies(JSON.stringify({ hash: 'e'.repeat(64) }));
  expect(replies).toContainEqual({ ok: false, error: expect.objectContaining({ code: 'internal_error' }) });
  expect(JSON.stringify(replies)).not.toContain('boom');
});

it('answers nothing to a reply subject that is not an inbox (it would publish there on the requester behalf)', async () => {
  // With allow_responses a responder may publish once to any reply subject it is handed: here `usage.…`,
  // which only gateways may publish and USAGE stores. Neither a request nor an event is answered there.
  const subject = `usage.inject-${randomUUID().slice(0, 8)}`;
  auth.publish('keys.lookup', JSON.stringify({ hash: 'a'.repeat(64) }), { reply: subject });
  auth.publish('keys.lookup', 'not json', { reply: subject });
  gateway.publish('keys.events.quota_exhausted', '{}', { reply: subject });
  await Promise.all([auth.flush(), gateway.flush()]);
  await new Promise((r) => setTimeout(r, 300));
  const metering = await connectAs('metering');
  try {
    const info = await (await jetstreamManager(metering)).streams.info('USAGE', { subjects_filter: subject });
    expect(info.state.subjects?.[subject] ?? 0).toBe(0);
  } finally {
    await metering.close();
  }
  expect(invalid.some((i) => i.error.message.includes('_INBOX'))).toBe(true);
});

it('delivers valid events to fan-out handlers and drops invalid ones before them', async () => {
  const keyId = randomUUID();
  const event = {
    keyId,
    owner: { type: 'account', id: randomUUID() },
    period: 'lifetime',
    at: new Date().toISOString(),
  };
  for (const body of ['null', 'not json', '{}', JSON.stringify({ ...event, period: 'someday' })])
    gateway.publish('keys.events.quota_exhausted', body);
  gateway.publish('keys.events.quota_exhausted', JSON.stringify(event));
  await gateway.flush();
  await pollUntil(
    async () => events.filter((e) => (e.data as { keyId?: string }).keyId === keyId).length,
    (n) => n === 1,
    3000,
  );
  expect(
    events.every((e) => e.subject === 'keys.events.quota_exhausted' && e.data && typeof e.data === 'object'),
  ).toBe(true);
  expect(invalid.filter((i) => i.channel === 'keys.events.quota_exhausted').length).toBeGreaterThanOrEqual(4);
});

it('the typed client: data on ok, a RemoteError carrying the error otherwise', async () => {
  const client = new InternalNatsClient(natsOptions('auth-service'));
  try {
    await client.connect();
    expect(await client.call('keys.lookup', { hash: 'f'.repeat(64) })).toEqual({ found: false });
    const err = await client.call('keys.lookup', { hash: 'short' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).error).toMatchObject({ code: 'invalid_request', param: 'hash' });
  } finally {
    await client.close();
  }
});

it('the example app of another team creates a key for an owner over keys.create', async () => {
  const admin = adminClient(keyService.url);
  const account = await admin.account('basic');
  const key = await createKeyExample(account);
  expect(key.secret).toMatch(/^gw-sk-/);
  const view = await admin.must('GET', `/v1/keys/${key.id}`);
  expect(view).toMatchObject({ owner: { type: 'account', id: account }, permissions: ['read'] });
});
