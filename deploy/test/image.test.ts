// The images' file sets, proven without a container engine: each service's runtime folder is assembled exactly
// as the Dockerfile does (scripts/image/assemble.mjs: built output + `npm ci --omit=dev` for that app) in a
// temporary directory, its one-shot commands run from there, and every service starts from its own folder
// against the test stack and serves a request end to end. What is not proven here: the base image, the user,
// the HEALTHCHECK instruction (no image is built or run on these machines).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { adminClient, pollUntil, type RunningService, serviceNatsEnv, startService } from '@gw/testing';
import { ROOT } from './tools.js';

const { assemble, IMAGE_APPS } = (await import(
  pathToFileURL(join(ROOT, 'scripts/image/assemble.mjs')).href
)) as {
  assemble(app: string, out: string): string;
  IMAGE_APPS: string[];
};

const base = mkdtempSync(join(tmpdir(), 'gw-image-'));
const folder: Record<string, string> = {};
const running: RunningService[] = [];

/** Bytes in a folder, symbolic links counted as links (as an image layer stores them). */
function bytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytes(path) : lstatSync(path).size;
  }
  return total;
}

beforeAll(() => {
  for (const app of IMAGE_APPS) folder[app] = assemble(app, join(base, app));
}, 600_000);
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  rmSync(base, { recursive: true, force: true });
});

it('holds the built output and production dependencies only: no sources, tests or dev tools', () => {
  const sizes: string[] = [];
  for (const app of IMAGE_APPS) {
    const dir = folder[app];
    expect(existsSync(join(dir, 'apps', app, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(dir, 'main.js'))).toBe(true);
    expect(existsSync(join(dir, 'healthcheck.js'))).toBe(true);
    for (const dev of [
      'jest',
      '@swc/core',
      'turbo',
      'eslint',
      'prettier',
      'openai',
      'fast-check',
      'kubernetes-models',
    ])
      expect({ app, dev, present: existsSync(join(dir, 'node_modules', dev)) }).toEqual({
        app,
        dev,
        present: false,
      });
    for (const source of ['src', 'test']) expect(existsSync(join(dir, 'apps', app, source))).toBe(false);
    // Other apps' code is not in this app's image.
    for (const other of IMAGE_APPS.filter((a) => a !== app))
      expect(existsSync(join(dir, 'apps', other, 'dist'))).toBe(false);
    sizes.push(`${app} ${(bytes(dir) / 1e6).toFixed(0)} MB`);
  }
  console.log(`image file sets (before the base image): ${sizes.join(', ')}`);
});

it('runs the one-shot commands from the images: both migrations and the streams', () => {
  const node = (app: string, script: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(folder[app], script)], {
      cwd: folder[app],
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  for (const [app, script, env] of [
    ['key-service', 'apps/key-service/dist/cli/migrate.js', {}],
    ['metering-service', 'apps/metering-service/dist/cli/migrate.js', {}],
    ['metering-service', 'apps/metering-service/dist/cli/streams.js', serviceNatsEnv('metering-service')],
  ] as const) {
    const res = node(app, script, env);
    // They report on stderr ("schema up to date"); a missing module or file would exit non-zero.
    expect({ script, status: res.status, output: res.stderr }).toEqual({
      script,
      status: 0,
      output: expect.any(String),
    });
    expect(res.stderr).not.toMatch(/Error|Cannot find/);
  }
});

it('starts every service from its own folder, and a request goes through all of them', async () => {
  // Each from its image's own entry point (main.js), as the image's CMD runs it.
  const start = async (app: string, env: Record<string, string> = {}) => {
    const svc = await startService(app, env, 30_000, { root: folder[app], entry: 'main.js' });
    running.push(svc);
    return svc;
  };
  const demo = await start('demo-upstream');
  const [keys, , metering] = await Promise.all([
    // The stack's CONSOLE_DIR left empty: the image's main.js finds the console it carries.
    start('key-service', { CONSOLE_DIR: '' }),
    start('auth-service'),
    start('metering-service'),
  ]);
  const gateway = await start('gateway-service', {
    DEMO_UPSTREAM_URL: demo.url,
    USAGE_SPOOL_DIR: join(base, 'spool'),
  });
  for (const svc of [keys, metering, gateway])
    expect((await fetch(`${svc.adminUrl}/readyz`)).status).toBe(200);

  // key-service serves the web console from the image's own copy.
  const page = await fetch(`${keys.url}/console/`);
  expect([page.status, page.headers.get('content-security-policy')]).toEqual([
    200,
    expect.stringContaining("script-src 'self'"),
  ]);
  const script = /src="\/console\/(assets\/[^"]+\.js)"/.exec(await page.text())![1];
  expect(existsSync(join(folder['key-service'], 'console', script))).toBe(true);

  const admin = adminClient(keys.url);
  const key = await admin.key(await admin.account('pro'));
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  expect(res.status).toBe(200);
  const usage = await pollUntil(
    () => admin.call('GET', `/v1/keys/${key.id}/usage`),
    (r) => r.status === 200 && r.body.totals?.requests === 1,
    15_000,
    100,
  );
  expect(usage.value.body.totals.requests).toBe(1);
}, 120_000);
