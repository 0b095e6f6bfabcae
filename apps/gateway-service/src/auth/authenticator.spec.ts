// The authenticator's own logic against a fake NatsClient that counts auth.verify requests; the real
// auth-service path is covered by test/auth-flood.test.ts.
import { apiError, type ErrorCode, type KeyRecord, SUBJECTS } from '@gw/contracts';
import { createKeyFormat, hashKey } from '@gw/key-format';
import { keyRecord } from '@gw/testing';
import type { Logger, NatsClient } from '@gw/platform';
import type { GatewayConfig } from '../config.js';
import { type AuthResult, Authenticator } from './authenticator.js';

const format = createKeyFormat();

class FakeNats {
  /** Hashes asked for, in order. */
  readonly asked: string[] = [];
  readonly records = new Map<string, KeyRecord>();
  readonly refusals = new Map<string, ErrorCode>();
  /** Key events reach the authenticator from KeyEventsController; here, straight. */
  target?: Authenticator;
  private reconnect?: () => void;
  private held?: Promise<void>;
  private release?: () => void;

  /** Holds every answer until the returned function is called. */
  hold() {
    this.held = new Promise((r) => (this.release = r));
    return () => {
      this.held = undefined;
      this.release!();
    };
  }

  async request(_subject: string, payload: { hash: string }) {
    this.asked.push(payload.hash);
    await (this.held ?? Promise.resolve());
    const record = this.records.get(payload.hash);
    if (record) return { ok: true, data: { principal: record } };
    return { ok: false, error: apiError(this.refusals.get(payload.hash) ?? 'invalid_api_key') };
  }

  onReconnect(fn: () => void) {
    this.reconnect = fn;
  }

  emit(subject: string, payload: unknown) {
    this.target!.onKeyEvent(subject, payload);
  }

  reconnected() {
    this.reconnect!();
  }
}

const record = (id: string, owner = 'acc-1') =>
  keyRecord({
    id,
    owner: { type: 'account', id: owner, status: 'active', creditLimitMicros: null },
    permissions: ['read'],
  });

function setup(config: Partial<GatewayConfig> = {}) {
  const nats = new FakeNats();
  const auth = new Authenticator(
    nats as unknown as NatsClient,
    format,
    {
      principalTtlMs: 30_000,
      negativeTtlMs: 5_000,
      negativeCacheMaxEntries: 100,
      failedAuthPerMinute: 1_000_000,
      authTimeoutMs: 1_000,
      ...config,
    } as GatewayConfig,
    { info() {}, warn() {} } as unknown as Logger,
  );
  auth.onApplicationBootstrap();
  nats.target = auth;
  /** A key auth-service knows. */
  const realKey = (id: string, owner?: string) => {
    const key = format.generate();
    nats.records.set(hashKey(key), record(id, owner));
    return key;
  };
  const call = (key: string, clientIp?: string) =>
    auth.authenticate(`Bearer ${key}`, { clientIp, permission: 'read' });
  return { nats, auth, realKey, call };
}

const codeOf = (r: AuthResult) => (r.ok ? 'ok' : r.code);

describe('one lookup in flight per hash', () => {
  it('50 concurrent misses for one unknown key send one auth.verify; repeats within the TTL send none', async () => {
    const { nats, call } = setup();
    const forged = format.generate();
    const release = nats.hold();
    const pending = Array.from({ length: 50 }, () => call(forged, '10.0.0.1'));
    release();
    expect((await Promise.all(pending)).map(codeOf)).toEqual(Array(50).fill('invalid_api_key'));
    expect(nats.asked).toHaveLength(1);
    await Promise.all(Array.from({ length: 50 }, () => call(forged, '10.0.0.1')));
    expect(nats.asked).toHaveLength(1);
  });

  it('concurrent misses for one real key share one auth.verify, then hit the cache', async () => {
    const { nats, call, realKey } = setup();
    const key = realKey('k1');
    const release = nats.hold();
    const pending = Array.from({ length: 50 }, () => call(key));
    release();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.ok && r.principal.record.id === 'k1')).toBe(true);
    expect(nats.asked).toHaveLength(1);
    expect(codeOf(await call(key))).toBe('ok');
    expect(nats.asked).toHaveLength(1);
  });

  it('a service_unavailable answer is shared but not cached', async () => {
    const { nats, call } = setup();
    const key = format.generate();
    nats.refusals.set(hashKey(key), 'service_unavailable');
    const both = await Promise.all([call(key), call(key)]);
    expect(both.map(codeOf)).toEqual(['service_unavailable', 'service_unavailable']);
    expect(nats.asked).toHaveLength(1);
    await call(key);
    expect(nats.asked).toHaveLength(2);
  });

  it('an answer to a lookup that a key event overtook serves its requests but is not cached', async () => {
    const { nats, call, realKey } = setup();
    const key = realKey('k1');
    const release = nats.hold();
    const first = call(key);
    nats.emit(SUBJECTS.events.keyChanged, {
      scope: 'owner',
      owner: { type: 'account', id: 'other' },
      reason: 'owner_updated',
      at: new Date().toISOString(),
    });
    // Arrived after the event: does not join the older lookup.
    const second = call(key);
    release();
    expect([codeOf(await first), codeOf(await second)]).toEqual(['ok', 'ok']);
    expect(nats.asked).toHaveLength(2);
    await call(key);
    expect(nats.asked).toHaveLength(2);
  });

  it("an event about another key neither splits this key's lookup nor keeps its answer out of the cache", async () => {
    const { nats, call, realKey } = setup();
    const key = realKey('k1');
    const other = realKey('k2');
    const release = nats.hold();
    const first = call(key);
    for (const subject of [SUBJECTS.events.keyChanged, SUBJECTS.events.keyDeleted])
      nats.emit(subject, {
        scope: 'key',
        keyId: 'k2',
        owner: { type: 'account', id: 'acc-1' },
        hashes: [hashKey(other)],
        reason: 'updated',
        at: new Date().toISOString(),
      });
    const second = call(key);
    release();
    expect([codeOf(await first), codeOf(await second)]).toEqual(['ok', 'ok']);
    expect(nats.asked).toHaveLength(1);
    await call(key);
    expect(nats.asked).toHaveLength(1);
  });
});

describe('negative cache', () => {
  it('10× its size of unknown keys evict no real principal', async () => {
    const { nats, auth, call, realKey } = setup({ negativeCacheMaxEntries: 100 });
    const real = Array.from({ length: 200 }, (_, i) => realKey(`k${i}`));
    for (const k of real) expect(codeOf(await call(k))).toBe('ok');
    for (let i = 0; i < 1_000; i++) expect(codeOf(await call(format.generate()))).toBe('invalid_api_key');
    expect(auth.negative.size).toBe(100);
    expect(auth.cache.size).toBe(200);
    const asked = nats.asked.length;
    for (const k of real) expect(codeOf(await call(k))).toBe('ok');
    expect(nats.asked).toHaveLength(asked);
  });

  it('caches refusals of real keys too, and drops them on the events that can change them', async () => {
    const { nats, call } = setup();
    const [disabled, restricted, unknown] = [format.generate(), format.generate(), format.generate()];
    nats.refusals.set(hashKey(disabled), 'key_disabled');
    nats.refusals.set(hashKey(restricted), 'account_restricted');
    for (const k of [disabled, restricted, unknown]) await call(k);
    for (const k of [disabled, restricted, unknown]) await call(k);
    expect(nats.asked).toHaveLength(3);
    // Re-enabled: the key's hashes are named.
    nats.emit(SUBJECTS.events.keyChanged, {
      scope: 'key',
      keyId: 'k',
      owner: { type: 'account', id: 'acc-1' },
      hashes: [hashKey(disabled)],
      reason: 'updated',
      at: new Date().toISOString(),
    });
    await call(disabled);
    expect(nats.asked).toHaveLength(4);
    // An owner event may lift a suspension; refusals carry no owner, so every non-"unknown" one goes.
    nats.emit(SUBJECTS.events.keyChanged, {
      scope: 'owner',
      owner: { type: 'account', id: 'acc-1' },
      reason: 'owner_updated',
      at: new Date().toISOString(),
    });
    await call(restricted);
    await call(unknown);
    expect(nats.asked).toHaveLength(5);
    nats.reconnected();
    await call(unknown);
    expect(nats.asked).toHaveLength(6);
  });
});

describe('failed authentications per address', () => {
  it('refuses an address after `failedAuthPerMinute` failures without asking, but serves its cached principals', async () => {
    const { nats, call, realKey } = setup({ failedAuthPerMinute: 3 });
    const cached = realKey('cached');
    const uncached = realKey('uncached');
    expect(codeOf(await call(cached, '10.0.0.1'))).toBe('ok');
    const results = [
      await call(format.generate(), '10.0.0.1'),
      await call('gw-sk-nope', '10.0.0.1'),
      await call(format.generate().slice(0, -1) + '0', '10.0.0.1'),
    ];
    expect(results.map(codeOf)).toEqual(['invalid_api_key', 'invalid_api_key', 'invalid_api_key']);
    const asked = nats.asked.length;
    const refused = await call(format.generate(), '10.0.0.1');
    expect(refused).toEqual({ ok: false, code: 'rate_limit_exceeded', retryAfterMs: expect.any(Number) });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(59_000);
    expect(codeOf(await call('gw-sk-nope', '10.0.0.1'))).toBe('rate_limit_exceeded');
    expect(codeOf(await call(uncached, '10.0.0.1'))).toBe('rate_limit_exceeded');
    expect(nats.asked).toHaveLength(asked);
    expect(codeOf(await call(cached, '10.0.0.1'))).toBe('ok');
    // Other addresses, and internal callers (no address), are not affected.
    expect(codeOf(await call(uncached, '10.0.0.2'))).toBe('ok');
    expect(codeOf(await call(format.generate()))).toBe('invalid_api_key');
    // A key known to be real that dropped out of the cache (a reconnect clears it) is still looked up for
    // the blocked address: a broken client behind a shared address cannot lock out the working keys.
    nats.reconnected();
    expect(codeOf(await call(uncached, '10.0.0.1'))).toBe('ok');
    expect(codeOf(await call(cached, '10.0.0.1'))).toBe('ok');
    expect(codeOf(await call(format.generate(), '10.0.0.1'))).toBe('rate_limit_exceeded');
  });

  it('a concurrent burst of forged keys from one address sends at most the limit of lookups', async () => {
    const { nats, call } = setup({ failedAuthPerMinute: 3 });
    const release = nats.hold();
    const pending = Array.from({ length: 20 }, () => call(format.generate(), '10.0.0.9'));
    release();
    const codes = (await Promise.all(pending)).map(codeOf);
    expect(nats.asked).toHaveLength(3);
    expect(codes.filter((c) => c === 'invalid_api_key')).toHaveLength(3);
    expect(codes.filter((c) => c === 'rate_limit_exceeded')).toHaveLength(17);
  });

  it('answers missing_api_key without counting it', async () => {
    const { call, auth } = setup({ failedAuthPerMinute: 1 });
    for (const header of [undefined, '', 'Basic abc', 'Bearer'])
      expect(codeOf(await auth.authenticate(header, { clientIp: '10.0.0.3', permission: 'read' }))).toBe(
        'missing_api_key',
      );
    expect(codeOf(await call(format.generate(), '10.0.0.3'))).toBe('invalid_api_key');
  });
});
