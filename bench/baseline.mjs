// "Before", measured in the same run as "after" (issue #14's done-when): the system as of an earlier commit
// (BENCH_BASELINE, by default the last commit before issue #14's changes), built from that commit into
// .stack/baseline/<commit>/ and run beside today's. It gets a pipeline of its own: its own redis-server and
// nats-server (free ports, JetStream in a fresh store) and its own database in the same Postgres. Its Redis
// layout, usage messages and JetStream consumer differ from today's, so sharing servers would mix the two.
// Its processes are counted in the same groups as today's (a gateway is a gateway): targets run one at a
// time, so the other system only idles while one is measured, and it idles in every target's run alike.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import pg from 'pg';
import { admin, createStack, freePort, ROOT, sleep } from './stack.mjs';

/** The last commit before issue #14's first change (224bdd0, usage bursts): "today's code" when it was filed. */
export const DEFAULT_BASELINE = 'af9fcdb';

/** The commit to compare with, or undefined when BENCH_BASELINE is `none` or the clone lacks that commit. */
export function baselineCommit() {
  const ref = process.env.BENCH_BASELINE ?? DEFAULT_BASELINE;
  if (!ref || ref === 'none') return undefined;
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.log(`bench: no baseline (${ref} is not a commit of this clone; a shallow clone lacks it)`);
    return undefined;
  }
  return r.stdout.trim();
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  if (r.status !== 0)
    throw new Error(`baseline: ${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

/**
 * A database of this Postgres, emptied: each run's systems start from the same empty tables (the stack's own
 * database grows with every run, and index upkeep with it). Returns its URL.
 */
export async function freshDatabase(name) {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/** The schema migrations of a checkout's services that own one (each creates the database when missing). */
export function migrate(dir, env) {
  for (const app of ['key-service', 'metering-service']) {
    const entry = join(dir, 'apps', app, 'dist/cli/migrate.js');
    if (existsSync(entry)) run(process.execPath, [entry], { cwd: dir, env: { ...process.env, ...env } });
  }
}

/** The commit's tree with its dependencies and its four services built, once per commit. */
function prepare(commit) {
  const dir = join(ROOT, '.stack/baseline', commit.slice(0, 12));
  const done = join(dir, '.built');
  if (existsSync(done)) return dir;
  console.log(`bench: building the baseline ${commit.slice(0, 12)} into ${dir} (once)…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, '.tree.tar');
  run('git', ['-C', ROOT, 'archive', '--format=tar', '-o', tar, commit]);
  run('tar', ['-xf', tar, '-C', dir]);
  rmSync(tar);
  // As the bootstrap installs (npm install follows the lock; npm 11 runs no install scripts).
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  const apps = ['key-service', 'auth-service', 'gateway-service', 'metering-service'];
  run(
    'npx',
    ['turbo', 'run', 'build', '--output-logs=errors-only', ...apps.map((a) => `--filter=@gw/${a}`)],
    {
      cwd: dir,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    },
  );
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return dir;
}

const listening = (port) =>
  new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });

async function waitListening(port, what, child) {
  for (let i = 0; i < 100; i++) {
    if (await listening(port)) return;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`baseline: ${what} did not start`);
}

const binary = (name) =>
  spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() || name;

/**
 * Starts the baseline: its servers, its migrations and streams, its four services (upstreams from
 * `upstreamsFile`), and the two keys of the CPU rounds. Resolves with its gateway's URL, the keys, and its
 * NATS URL (for pipelineDrained). Everything it starts is stopped by the returned stack's stop().
 */
export async function startBaseline(commit, { upstreamsFile, spoolDir }) {
  const dir = prepare(commit);
  const stack = createStack(dir);
  const data = join(dir, '.stack');
  const spawnServer = (name, cmd, args, env) => {
    const child = spawn(cmd, args, { cwd: data, env, stdio: 'ignore' });
    stack.children.push(child);
    return child;
  };
  const [redisPort, natsPort] = [await freePort(), await freePort()];
  const redisDir = join(data, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const redis = spawnServer('redis', binary('redis-server'), [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    redisDir,
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  // A fresh JetStream store each run: nothing left over from a previous run's stream.
  const natsDir = join(data, 'nats');
  rmSync(natsDir, { recursive: true, force: true });
  mkdirSync(natsDir, { recursive: true });
  const nats = spawnServer(
    'nats',
    binary('nats-server'),
    [
      '-c',
      join(dir, 'deploy/nats/nats-server.conf'),
      '-a',
      '127.0.0.1',
      '-p',
      String(natsPort),
      '-js',
      '-sd',
      natsDir,
    ],
    process.env,
  );
  await waitListening(redisPort, 'redis-server', redis);
  await waitListening(natsPort, 'nats-server', nats);

  // Its own database in the same Postgres, empty at each run's start as today's system's is.
  const env = {
    DATABASE_URL: await freshDatabase(`gateway_baseline_${commit.slice(0, 12)}`),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
  };
  const cliEnv = (identity) => ({
    ...process.env,
    ...env,
    ...(identity && {
      NATS_USER: process.env[`NATS_${identity}_USER`],
      NATS_PASSWORD: process.env[`NATS_${identity}_PASSWORD`],
    }),
  });
  migrate(dir, env);
  const streams = join(dir, 'apps/metering-service/dist/cli/streams.js');
  if (existsSync(streams)) run(process.execPath, [streams], { cwd: dir, env: cliEnv('METERING') });

  const service = (app, extra = {}) =>
    stack.start(`baseline-${app}`, ...stack.node(`apps/${app}/dist/main.js`), () => ({ ...env, ...extra }));
  const keyService = await service('key-service');
  await service('auth-service');
  const gateway = await service('gateway-service', {
    UPSTREAMS_FILE: upstreamsFile,
    USAGE_SPOOL_DIR: spoolDir,
  });
  await service('metering-service');
  const keys = await cpuKeys(keyService);
  return { commit, stack, gateway, natsUrl: env.NATS_URL, keys };
}

/**
 * The CPU rounds' two keys on a key-service: one with no limit anywhere, one with RPM, TPM and a monthly quota
 * (and a rate-limited one without a quota for the stream rounds). Both systems get theirs from this.
 */
export async function cpuKeys(keyService) {
  const stamp = Date.now();
  await admin(keyService, 'PUT', '/v1/tiers/bench', { rpm: 10_000_000, models: ['*'] });
  await admin(keyService, 'PUT', '/v1/tiers/bench-open', { rpm: null, models: ['*'] });
  const account = await admin(keyService, 'POST', '/v1/accounts', { name: 'bench', tier: 'bench' });
  const openAccount = await admin(keyService, 'POST', '/v1/accounts', {
    name: 'bench-open',
    tier: 'bench-open',
  });
  const key = (name, owner, limits = {}) =>
    admin(keyService, 'POST', '/v1/keys', {
      name: `${name}-${stamp}`,
      owner: { type: 'account', id: owner.id },
      ...limits,
    });
  const rates = { rpm: 1_000_000, tpm: 100_000_000 };
  return {
    rateLimited: await key('bench', account, rates),
    plain: await key('bench-plain', openAccount),
    limited: await key('bench-limited', account, {
      ...rates,
      quota: { type: 'monthly', limit: 1_000_000_000 },
    }),
  };
}
