// NatsClient against the stack's real nats-server: typed request/reply, validation, fan-out, timeouts.
import { randomUUID } from 'node:crypto';
import { natsIdentityConfig } from '@gw/testing';
import { pino } from 'pino';
import { NatsClient } from '../src/nats-client.js';

const logger = pino({ level: 'silent' });
// Each side connects as the stack identity that may do its part: key-service answers keys.lookup and publishes
// pricing changes, auth-service asks keys.lookup, gateway and metering receive pricing changes.
let server: NatsClient;
let client: NatsClient;
let listeners: NatsClient[];

beforeAll(async () => {
  server = new NatsClient(natsIdentityConfig('key-service'), 'test-server', logger);
  client = new NatsClient(natsIdentityConfig('auth-service'), 'test-client', logger);
  listeners = [
    new NatsClient(natsIdentityConfig('gateway'), 'test-gateway', logger),
    new NatsClient(natsIdentityConfig('metering'), 'test-metering', logger),
  ];
  await Promise.all([server, client, ...listeners].map((c) => c.connect()));
});
afterAll(async () => {
  await Promise.all([server, client, ...listeners].map((c) => c.close()));
});

describe('NatsClient', () => {
  it('serves a subject in a queue group, validating the request, and returns typed replies', async () => {
    const queue = `q-${randomUUID()}`;
    const hash = 'a'.repeat(64);
    const seen: string[] = [];
    // A queue group of its own, so this handler gets every request even while a key-service runs.
    server.serve('keys.lookup', queue, async (req) => {
      seen.push(req.hash);
      return { ok: true, value: { found: false } };
    });
    await server.flush();
    expect(await client.request('keys.lookup', { hash })).toEqual({ ok: true, data: { found: false } });
    expect(seen).toContain(hash);
    const invalid = await client.connection.request('keys.lookup', JSON.stringify({ hash: 'x' }), {
      timeout: 2000,
    });
    expect(invalid.json()).toMatchObject({ ok: false, error: { code: 'invalid_request', param: 'hash' } });
    expect(seen).not.toContain('x');
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

  it('fans events out to every subscriber and survives a malformed payload', async () => {
    const got: unknown[][] = [[], []];
    const subject = 'pricing.events.changed';
    listeners[0].subscribe(subject, (e) => void got[0].push(e));
    listeners[1].subscribe(subject, (e) => void got[1].push(e));
    await Promise.all(listeners.map((l) => l.flush()));
    server.connection.publish(subject, 'not json');
    const event = { kind: 'model' as const, name: `m-${randomUUID()}`, at: new Date().toISOString() };
    server.publish(subject, event);
    for (let i = 0; i < 100 && (got[0].length === 0 || got[1].length === 0); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(got[0]).toContainEqual(event);
    expect(got[1]).toContainEqual(event);
    expect(listeners.every((l) => l.isConnected())).toBe(true);
  });
});
