// Usage events while NATS is down: requests keep being served from the principal cache, events wait in the
// on-disk spool, and all of them reach USAGE once NATS is back. Runs its own nats-server (a real one), so
// stopping it disturbs no other test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureUsageStreams } from '@gw/platform';
import { connectAs, freePort, natsIdentityConfig, pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  waitForUsage,
  type World,
} from './harness.js';

let natsPort: number;
let natsUrl: string;
const storeDir = mkdtempSync(join(tmpdir(), 'gw-nats-'));
let nats: ChildProcess | undefined;
let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;

async function startNats() {
  // The stack's configuration (identities, no anonymous access), passwords from .stack/env.
  const config = fileURLToPath(new URL('../../../deploy/nats/nats-server.conf', import.meta.url));
  const args = ['-c', config, '-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', storeDir];
  nats = spawn('nats-server', args, { stdio: 'ignore', env: process.env });
  await pollUntil(
    () =>
      fetch(`http://127.0.0.1:${natsPort}`).then(
        () => true,
        (e: { cause?: { code?: string } }) => e.cause?.code !== 'ECONNREFUSED',
      ),
    (up) => up,
    5000,
    20,
  );
}

async function stopNats() {
  const p = nats!;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

beforeAll(async () => {
  natsPort = await freePort();
  natsUrl = `nats://127.0.0.1:${natsPort}`;
  await startNats();
  // The USAGE stream, as metering creates it (gateways may only publish to it).
  const nc = await connectAs('metering', natsUrl);
  await ensureUsageStreams(nc);
  await nc.close();
  [world, upstream] = await Promise.all([startWorld({ NATS_URL: natsUrl }), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url }]),
    nats: natsIdentityConfig('gateway', natsUrl),
  });
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
  if (nats && nats.exitCode === null) await stopNats();
});

it('spools usage while NATS is down and delivers every event, once, after it restarts', async () => {
  const key = await world.admin.key(await world.admin.account('pro'));
  const sdk = client(gw.url, key.key);
  const since = new Date();
  const ids: string[] = [];
  const call = async () => {
    const { response } = await sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    ids.push(response.headers.get('x-request-id')!);
  };
  await call(); // warms the principal cache
  await stopNats();
  for (let i = 0; i < 5; i++) await call(); // served from the cache, events spooled
  const spooledBytes = () =>
    readdirSync(gw.spoolDir).reduce((n, f) => n + statSync(join(gw.spoolDir, f)).size, 0);
  // A burst's events wait USAGE_BURST_MS before their publish fails over to the spool.
  await pollUntil(
    async () => spooledBytes(),
    (bytes) => bytes > 0,
    5000,
  );
  expect(spooledBytes()).toBeGreaterThan(0);
  const spoolGauge = async () =>
    Number(
      /^gateway_usage_spool_bytes (\d+)/m.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1] ??
        -1,
    );
  // Appends may still be landing: the gauge shows what is spooled, then nothing once replayed.
  await pollUntil(spoolGauge, (bytes) => bytes > 0, 5000);
  expect(await spoolGauge()).toBeGreaterThan(0);

  await startNats();
  const events = await waitForUsage(since, ids, 15_000, natsUrl);
  expect(ids.every((id) => events.get(id)?.status === 200)).toBe(true);
  expect(events.size).toBe(ids.length);
  await pollUntil(
    async () => spooledBytes(),
    (bytes) => bytes === 0,
    5000,
  );
  expect(await spoolGauge()).toBe(0);
}, 60_000);
