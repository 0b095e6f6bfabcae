import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { DestinationPolicy, type Resolver } from './destination-policy.js';

const fakeDns =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const list = table[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const dns = fakeDns({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.7'],
  'internal.example.com': ['192.168.1.20'],
  'v6local.example.com': ['fd00::1'],
  localhost: ['127.0.0.1', '::1'],
});
const strict = new DestinationPolicy({ allowHttp: false, allowedNetworks: [] }, dns);
const loopbackOk = new DestinationPolicy(
  { allowHttp: true, allowedNetworks: ['127.0.0.0/8', '::1/128'] },
  dns,
);

describe('DestinationPolicy.refusedAddress', () => {
  it.each([
    ['0.0.0.0', '"this network"'],
    ['0.1.2.3', '"this network"'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT'],
    ['169.254.169.254', 'link-local or metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local or metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'],
  ])('refuses %s (%s)', (ip, label) => {
    expect(strict.refusedAddress(ip)).toContain(label);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows the public address %s', (ip) => {
    expect(strict.refusedAddress(ip)).toBeUndefined();
  });

  it('allows what the operator listed, in plain and IPv4-mapped form, and nothing beside it', () => {
    expect(loopbackOk.refusedAddress('127.0.0.1')).toBeUndefined();
    expect(loopbackOk.refusedAddress('::ffff:127.0.0.1')).toBeUndefined();
    expect(loopbackOk.refusedAddress('::1')).toBeUndefined();
    expect(loopbackOk.refusedAddress('10.0.0.1')).toContain('private');
    expect(loopbackOk.refusedAddress('169.254.169.254')).toContain('metadata');
  });

  it('rejects an invalid allowed network at construction', () => {
    expect(() => new DestinationPolicy({ allowHttp: false, allowedNetworks: ['10.0.0.1/8'] })).toThrow();
  });
});

describe('DestinationPolicy.check (create and update)', () => {
  it('accepts https to a public name', async () => {
    await expect(strict.check('https://hooks.example.com/in?x=1')).resolves.toEqual({ ok: true });
  });

  it.each([
    ['http://hooks.example.com/in', 'must use https'],
    ['ftp://hooks.example.com/in', 'must use https'],
    ['https://user:pw@hooks.example.com/in', 'credentials'],
    ['https://:pw@hooks.example.com/in', 'credentials'],
    ['https://127.0.0.1/in', 'loopback'],
    ['https://2130706433/in', 'loopback'],
    ['https://0x7f.1/in', 'loopback'],
    ['https://[::1]/in', 'loopback'],
    ['https://[::ffff:127.0.0.1]/in', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'metadata'],
    ['https://metadata.google.internal/computeMetadata/v1', 'metadata'],
    ['https://METADATA.google.internal./computeMetadata/v1', 'metadata'],
    ['https://0.0.0.0:8080/', '"this network"'],
    ['https://internal.example.com/in', 'resolves to a non-public address'],
    ['https://v6local.example.com/in', 'resolves to a non-public address'],
    ['https://rebind.example.com/in', 'resolves to a non-public address'],
    ['https://nowhere.example.com/in', 'does not resolve'],
    ['not a url', 'not valid'],
  ])('refuses %s (%s)', async (url, why) => {
    const v = await strict.check(url);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain(why);
  });

  it('never tells what a name resolved to (internal DNS); only the debug log gets it', async () => {
    const refusals: unknown[] = [];
    const logged = new DestinationPolicy({ allowHttp: false, allowedNetworks: [] }, dns, (d) =>
      refusals.push(d),
    );
    for (const [url, address] of [
      ['https://internal.example.com/in', '192.168.1.20'],
      ['https://v6local.example.com/in', 'fd00::1'],
      ['https://rebind.example.com/in', '10.0.0.7'],
    ]) {
      const v = await logged.check(url);
      expect(v).toEqual({
        ok: false,
        reason: 'The destination is not allowed: the host resolves to a non-public address.',
      });
      expect(refusals.pop()).toMatchObject({ host: new URL(url).hostname, address });
    }
  });

  it('allows http and listed networks when the operator says so', async () => {
    await expect(loopbackOk.check('http://127.0.0.1:9999/in')).resolves.toEqual({ ok: true });
    await expect(loopbackOk.check('http://localhost:9999/in')).resolves.toEqual({ ok: true });
    await expect(loopbackOk.check('http://169.254.169.254/')).resolves.toMatchObject({ ok: false });
    await expect(loopbackOk.check('http://metadata.google.internal/')).resolves.toMatchObject({ ok: false });
  });
});

describe('DestinationPolicy.lookup (each delivery connection)', () => {
  const lookup = (p: DestinationPolicy, host: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>(
      (done) => p.lookup(host, options, (err, address, family) => done({ err, address, family })),
    );

  it('answers one address or all of them, as asked', async () => {
    expect(await lookup(strict, 'hooks.example.com')).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
    const all = await lookup(strict, 'hooks.example.com', { all: true });
    expect(all.err).toBeNull();
    expect(all.address).toHaveLength(2);
    expect(await lookup(strict, 'hooks.example.com', { family: 6 })).toMatchObject({
      address: '2606:2800:220:1:248:1893:25c8:1946',
      family: 6,
    });
  });

  it('fails the connection when any resolved address is refused (DNS rebinding)', async () => {
    const res = await lookup(strict, 'rebind.example.com', { all: true });
    expect(res.err?.code).toBe('EDESTINATIONREFUSED');
    // What becomes a delivery's last_error: neither the address nor the name.
    expect(res.err?.message).toBe('destination refused: the host resolves to a non-public address');
    expect((await lookup(strict, 'localhost')).err?.code).toBe('EDESTINATIONREFUSED');
    expect((await lookup(loopbackOk, 'localhost')).err).toBeNull();
  });

  it('passes resolution errors on', async () => {
    expect((await lookup(strict, 'nowhere.example.com')).err?.code).toBe('ENOTFOUND');
  });
});

describe('DestinationPolicy.lookup inside undici (what the sender uses)', () => {
  it('connects through the policy: a made-up name resolves only through it, and a refused address never connects', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const names = fakeDns({ 'receiver.invalid': ['127.0.0.1'] });
    const via = (settings: { allowHttp: boolean; allowedNetworks: string[] }) =>
      new Agent({ connect: { lookup: new DestinationPolicy(settings, names).lookup } });
    const open = via({ allowHttp: true, allowedNetworks: ['127.0.0.0/8'] });
    const closed = via({ allowHttp: true, allowedNetworks: [] });
    try {
      const res = await request(`http://receiver.invalid:${port}/`, { dispatcher: open });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(hits).toBe(1);
      const err = await request(`http://receiver.invalid:${port}/`, { dispatcher: closed }).catch(
        (e: unknown) => e,
      );
      expect(String((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message)).toContain(
        'destination refused',
      );
      expect(hits).toBe(1);
    } finally {
      await open.close();
      await closed.close();
      await new Promise((r) => server.close(r));
    }
  });
});
