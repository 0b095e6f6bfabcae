// Graceful shutdown of a real gateway process (SIGTERM, as Kubernetes sends it) with 20 streams open: readiness
// turns false, the port refuses new connections, every open stream finishes with [DONE], and metering records
// every one of them; the process exits 0. Past SHUTDOWN_GRACE_MS, streams are cut and still billed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pollUntil, type RunningService, startService } from '@gw/testing';
import { startUpstream, startWorld, type Upstream, upstreamsFile, type World } from './harness.js';

let world: World;
let upstream: Upstream;
let metering: RunningService;
let db: pg.Client;
let key: string;
let file: string;

beforeAll(async () => {
  [world, upstream, metering] = await Promise.all([
    startWorld(),
    startUpstream(),
    startService('metering-service'),
  ]);
  file = upstreamsFile([{ name: 'demo', url: upstream.url }]);
  key = (await world.admin.key(await world.admin.account('pro'))).key;
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
}, 60_000);
afterAll(async () => {
  await db.end();
  await Promise.all([world.stop(), upstream.stop(), metering.stop()]);
});
afterEach(() => upstream.control({ reset: true }));

const startGatewayProcess = (env: Record<string, string>) =>
  startService('gateway-service', {
    UPSTREAMS_FILE: file,
    USAGE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'gw-spool-')),
    ...env,
  });

/** A raw streamed chat call: resolves once its first bytes arrived, with the whole body to come. */
async function openStream(url: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Tell a long story' }],
    }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  const rest = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { text, cut: false };
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return { text, cut: true };
    }
  })();
  return { status: res.status, id: res.headers.get('x-request-id')!, rest };
}

const exited = (svc: RunningService) =>
  new Promise<number | null>((resolve) => {
    if (svc.child.exitCode !== null) return resolve(svc.child.exitCode);
    svc.child.once('exit', (code) => resolve(code));
  });

const recorded = async (ids: string[]) =>
  Number(
    (await db.query('SELECT count(*) AS n FROM metering.usage_records WHERE request_id = ANY($1)', [ids]))
      .rows[0].n,
  );

const refusesConnections = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => false,
    (e: { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED',
  );

it('on SIGTERM finishes 20 open streams with [DONE], refuses new connections, records all 20 and exits 0', async () => {
  const gw = await startGatewayProcess({ SHUTDOWN_GRACE_MS: '30000' });
  // ~24 rounds of 100 ms: each stream runs for about 2.5 s.
  await upstream.control({ chunkDelayMs: 100 });
  const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(gw.url)));
  expect(streams.map((s) => s.status)).toEqual(Array(20).fill(200));
  const exit = exited(gw);
  const signalled = Date.now();
  gw.child.kill('SIGTERM');

  // Not ready at once (the admin port stays up until the very end), and the public port closes.
  await pollUntil(
    () => fetch(`${gw.adminUrl}/readyz`).then((r) => r.status),
    (s) => s === 503,
    2000,
  );
  await pollUntil(
    () => refusesConnections(gw.url),
    (refused) => refused,
    2000,
  );

  const ends = await Promise.all(streams.map((s) => s.rest));
  const finishedMs = Date.now() - signalled;
  for (const end of ends) {
    expect(end.cut).toBe(false);
    expect(end.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  }
  expect(await exit).toBe(0);
  const ids = streams.map((s) => s.id);
  await pollUntil(
    () => recorded(ids),
    (n) => n === 20,
    15_000,
  );
  // The figures for the record: how long the streams ran on after SIGTERM.
  console.log(`shutdown: 20 streams finished ${finishedMs} ms after SIGTERM; 20/20 recorded by metering`);
}, 60_000);

it('past SHUTDOWN_GRACE_MS cuts the streams still open, still records their usage, and exits', async () => {
  const gw = await startGatewayProcess({ SHUTDOWN_GRACE_MS: '500', USAGE_READ_AFTER_CLOSE_MS: '200' });
  await upstream.control({ chunkDelayMs: 400 }); // ~10 s per stream: far past the grace
  const streams = await Promise.all(Array.from({ length: 5 }, () => openStream(gw.url)));
  const exit = exited(gw);
  gw.child.kill('SIGTERM');
  const ends = await Promise.all(streams.map((s) => s.rest));
  for (const end of ends) expect(end.text).not.toContain('[DONE]');
  expect(await exit).toBe(0);
  const ids = streams.map((s) => s.id);
  await pollUntil(
    () => recorded(ids),
    (n) => n === 5,
    15_000,
  );
}, 60_000);
