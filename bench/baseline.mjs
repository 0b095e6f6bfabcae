// "Before", measured in the same run as "after" (issue #14's done-when): the system as of an earlier commit
// (BENCH_BASELINE, by default the last commit before issue #14's changes), built from that commit into
// .stack/baseline/<commit>/ and run beside today's on servers and a database of its own (bench/system.mjs):
// its Redis layout, usage messages and JetStream consumer differ from today's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { admin, createStack, ROOT } from './stack.mjs';
import { databaseName, ownServers, quietly } from './system.mjs';

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

/** The commit's tree with its dependencies and its four services built, once per commit. */
function prepare(commit) {
  const dir = join(ROOT, '.stack/baseline', commit.slice(0, 12));
  const done = join(dir, '.built');
  if (existsSync(done)) return dir;
  console.log(`bench: building the baseline ${commit.slice(0, 12)} into ${dir} (once)…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, '.tree.tar');
  quietly('git', ['-C', ROOT, 'archive', '--format=tar', '-o', tar, commit]);
  quietly('tar', ['-xf', tar, '-C', dir]);
  rmSync(tar);
  // As the bootstrap installs (npm install follows the lock), without dependencies' install scripts.
  quietly('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
  });
  const apps = ['key-service', 'auth-service', 'gateway-service', 'metering-service'];
  quietly(
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

/**
 * Starts the baseline: its servers, database and streams, its four services (upstreams from `upstreamsFile`),
 * and the keys of the CPU rounds. Resolves with its gateway's URL, the keys, its NATS URL (for
 * pipelineDrained) and its processes; everything it started is stopped by the returned stack's stop(), or at
 * once when it fails to start.
 */
export async function startBaseline(commit, { upstreamsFile, spoolDir }) {
  const dir = prepare(commit);
  const stack = createStack(dir);
  try {
    const own = await ownServers(
      stack,
      dir,
      join(dir, '.stack'),
      databaseName(`gateway_baseline_${commit.slice(0, 12)}`),
    );
    const service = (app, extra = {}) =>
      stack.start(`baseline-${app}`, ...stack.node(`apps/${app}/dist/main.js`), () => ({
        ...own.env,
        ...extra,
      }));
    const keyService = await service('key-service');
    const auth = await service('auth-service');
    const gateway = await service('gateway-service', {
      UPSTREAMS_FILE: upstreamsFile,
      USAGE_SPOOL_DIR: spoolDir,
    });
    const metering = await service('metering-service');
    const keys = await cpuKeys(keyService);
    const pids = {
      ...own.pids,
      gateway: [stack.pidOf(gateway)],
      metering: [stack.pidOf(metering)],
      'auth-service': [stack.pidOf(auth)],
      'key-service': [stack.pidOf(keyService)],
    };
    return {
      commit,
      stack,
      gateway,
      natsUrl: own.env.NATS_URL,
      keys,
      system: { pids, database: own.database },
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
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
