// NATS identities against the stack's real nats-server, run from deploy/nats/nats-server.conf: no anonymous
// clients, and each identity refused what deploy/nats/auth.conf does not give it (the escapes of issue #10).
import { randomUUID } from 'node:crypto';
import { connectAs, natsOptions } from '@gw/testing';
import { connect, type NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import {
  NATS_IDENTITIES,
  type NatsIdentityName,
  natsIdentity,
  natsInboxPrefix,
  natsRotationUser,
} from '@gw/contracts';
import { type KeyService, startKeyService } from './harness.js';

let ks: KeyService;
const conns = new Map<NatsIdentityName, NatsConnection>();
const as = async (name: NatsIdentityName) => {
  if (!conns.has(name)) conns.set(name, await connectAs(name));
  return conns.get(name)!;
};

beforeAll(async () => {
  ks = await startKeyService();
});
afterAll(async () => {
  await Promise.all([...conns.values()].map((c) => c.close()));
  await ks.close();
});

/** Resolves with the server's permission violation for this operation and subject on this connection. */
async function violation(nc: NatsConnection, operation: 'publish' | 'subscription', subject: string) {
  for await (const s of nc.status()) {
    if (s.type !== 'error') continue;
    const e = s.error;
    if (e instanceof PermissionViolationError && e.operation === operation && e.subject === subject) return e;
  }
  throw new Error('connection closed without the violation');
}
async function within<T>(p: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no refusal within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function publishRefused(name: NatsIdentityName, subject: string, body = '{}') {
  const nc = await as(name);
  const refused = violation(nc, 'publish', subject);
  nc.publish(subject, body);
  await nc.flush();
  await within(refused);
}

async function subscribeRefused(name: NatsIdentityName, subject: string, queue?: string) {
  const nc = await as(name);
  const refused = new Promise<Error>((resolve) => {
    nc.subscribe(subject, { queue, callback: (err) => void (err && resolve(err)) });
  });
  await nc.flush();
  const err = await within(refused);
  expect(err).toBeInstanceOf(PermissionViolationError);
}

it('refuses a client without credentials, and one with a wrong password', async () => {
  const servers = process.env.NATS_URL!;
  await expect(connect({ servers, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
  await expect(
    connect({ ...natsOptions('internal'), pass: 'wrong-password-000000', reconnect: false }),
  ).rejects.toThrow(/Authorization Violation/i);
});

describe('rotation slots', () => {
  const slot = (name: NatsIdentityName) => {
    const { envName } = natsIdentity(name);
    return {
      servers: process.env.NATS_URL!,
      user: natsRotationUser(name),
      pass: process.env[`NATS_${envName}_NEXT_PASSWORD`]!,
      inboxPrefix: natsInboxPrefix(name),
      reconnect: false,
    };
  };

  it.each(NATS_IDENTITIES.map((i) => i.name))('%s-next logs in with its own password only', async (name) => {
    await expect(connect({ ...slot(name), pass: natsOptions(name).pass })).rejects.toThrow(
      /Authorization Violation/i,
    );
    await (await connect(slot(name))).close();
  });

  it('internal-next creates a key over keys.create as internal does (its replies reach the same inbox)', async () => {
    const owner = { type: 'account', id: await ks.newAccount() };
    const nc = await connect(slot('internal'));
    try {
      const input = { name: `internal-next-${randomUUID()}`, owner };
      const reply = (
        await nc.request('keys.create', JSON.stringify({ actor: { type: 'operator' }, input }), {
          timeout: 3000,
        })
      ).json<any>();
      expect(reply).toMatchObject({ ok: true, data: { owner } });
    } finally {
      await nc.close();
    }
  });

  it('a rotation slot has exactly its identity’s rights: gateway-next may not call keys.create', async () => {
    const nc = await connect(slot('gateway'));
    try {
      const refused = violation(nc, 'publish', 'keys.create');
      nc.publish('keys.create', '{}');
      await nc.flush();
      await within(refused);
    } finally {
      await nc.close();
    }
  });
});

it('lets an internal caller create a key for an owner over keys.create', async () => {
  const owner = { type: 'account', id: await ks.newAccount() };
  const nc = await as('internal');
  const reply = (
    await nc.request(
      'keys.create',
      JSON.stringify({ actor: { type: 'operator' }, input: { name: `internal-${randomUUID()}`, owner } }),
      { timeout: 3000 },
    )
  ).json<any>();
  expect(reply).toMatchObject({ ok: true, data: { key: expect.stringMatching(/^gw-sk-/), owner } });
});

describe('refused publishes', () => {
  const createAsOperator = JSON.stringify({ actor: { type: 'operator' }, input: { name: 'x' } });
  it.each([
    ['gateway', 'keys.create'],
    ['auth-service', 'keys.create'],
    ['metering', 'keys.create'],
    ['gateway', 'keys.regenerate'],
  ] as const)('%s may not call %s', (name, subject) => publishRefused(name, subject, createAsOperator));

  it.each([
    ['gateway', 'keys.events.changed'],
    ['auth-service', 'keys.events.changed'],
    ['metering', 'keys.events.deleted'],
    ['internal', 'keys.events.changed'],
    ['internal', 'keys.events.quota_exhausted'],
    ['internal', 'pricing.events.changed'],
  ] as const)('%s may not publish %s (only key-service announces key changes)', (name, subject) =>
    publishRefused(name, subject),
  );

  it.each([
    ['key-service', 'usage.events'],
    ['metering', 'usage.events'],
    ['internal', 'usage.events'],
    ['auth-service', 'usage.anything'],
  ] as const)('%s may not publish %s (only gateways publish usage)', (name, subject) =>
    publishRefused(name, subject),
  );

  it.each([
    ['gateway', 'metering.usage.query'],
    ['auth-service', 'metering.usage.query'],
    ['gateway', '$JS.API.STREAM.DELETE.USAGE'],
    ['internal', '$JS.API.STREAM.PURGE.USAGE'],
    ['internal', 'keys.lookup'],
    ['internal', 'keys.touch'],
  ] as const)('%s may not publish %s', (name, subject) => publishRefused(name, subject));
});

describe('refused subscriptions', () => {
  it.each([
    ['internal', '_INBOX.>'],
    ['gateway', '_INBOX.>'],
    ['internal', '_INBOX.key-service.>'],
    ['gateway', '_INBOX.internal.>'],
    ['metering', '>'],
  ] as const)("%s may not read others' replies on %s", (name, subject) => subscribeRefused(name, subject));

  it.each(['internal', 'gateway', 'auth-service'] as const)(
    "%s may read quota exhaustion but not join key-service's queue group and take its events",
    (name) => subscribeRefused(name, 'keys.events.quota_exhausted', 'key-service'),
  );

  it.each([
    ['internal', 'keys.create'],
    ['gateway', 'auth.verify'],
    ['metering', 'keys.lookup'],
    ['internal', 'usage.>'],
    ['gateway', 'usage.events'],
    ['internal', 'metering.usage.query'],
  ] as const)('%s may not subscribe to %s (answer in its place or read its traffic)', (name, subject) =>
    subscribeRefused(name, subject),
  );
});
