// A system under test on servers of its own: its own redis-server and nats-server (free loopback ports, a
// fresh JetStream store), its own database in the stack's Postgres (emptied at the run's start), its schema
// migrated and its usage streams created. Today's system and the baseline (bench/baseline.mjs) each get one,
// so neither shares a queue group, a durable consumer, a key cache or a growing table with the other or with
// a running `npm start`, and each one's processes are known (bench/cpu.mjs counts a target's own system).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { portOpen, run } from '../scripts/stack/proc.mjs';
import { onPath } from '../scripts/stack/servers.mjs';
import { natsCredentials, SCHEMA_OWNERS, withoutNatsCredentials } from '../scripts/stack/services.mjs';
import { freePort, ROOT, sleep } from './stack.mjs';

/** A command whose output the bench's own does not need (its errors still show). */
export const quietly = (cmd, args, opts) =>
  run(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });

/** Database names of this checkout (two checkouts' benches on one Postgres must not drop each other's). */
export const databaseName = (prefix) =>
  `${prefix}_${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`;

/** The stack's own database (from .stack/env), read once: the bench later points DATABASE_URL at its own. */
const STACK_DATABASE_URL = process.env.DATABASE_URL;

/** `name` in the stack's Postgres, dropped if it exists (each run starts from empty tables). Returns its URL. */
async function freshDatabase(name) {
  const stack = new URL(STACK_DATABASE_URL);
  if (stack.pathname === `/${name}`) throw new Error(`bench: will not drop the stack's own database ${name}`);
  const admin = new pg.Client({ connectionString: STACK_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  stack.pathname = `/${name}`;
  return stack.href;
}

async function waitListening(port, what, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await portOpen(port, '127.0.0.1')) return;
    await sleep(100);
  }
  throw new Error(`bench: ${what} did not start`);
}

const binary = (name) => onPath(name) ?? name;

/** A service's own NATS identity for a command line tool of checkout `dir`, and nothing else of the stack's. */
const asIdentity = (env, identity) => ({
  ...withoutNatsCredentials({ ...process.env, ...env }),
  ...natsCredentials(process.env, identity),
});

/**
 * Starts checkout `dir`'s servers under `dataDir` (children of `stack`, stopped with it), creates and migrates
 * database `database`, and creates its usage streams. Resolves with the env its services take and the pids of
 * its servers.
 */
export async function ownServers(stack, dir, dataDir, database) {
  const [redisPort, natsPort] = [await freePort(), await freePort()];
  // Servers get no secret they do not need (nats-server: its identities' passwords, from its config).
  const serverEnv = { PATH: process.env.PATH };
  const natsEnv = {
    ...serverEnv,
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^NATS_[A-Z_]+_PASSWORD$/.test(k))),
  };
  const spawnServer = (cmd, args, env) => {
    const child = spawn(cmd, args, { cwd: dataDir, env, stdio: 'ignore' });
    stack.children.push(child);
    return child;
  };
  const redisDir = join(dataDir, 'redis');
  const natsDir = join(dataDir, 'nats');
  rmSync(natsDir, { recursive: true, force: true });
  mkdirSync(redisDir, { recursive: true });
  mkdirSync(natsDir, { recursive: true });
  const redis = spawnServer(
    binary('redis-server'),
    [
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
    ],
    serverEnv,
  );
  const nats = spawnServer(
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
    natsEnv,
  );
  await waitListening(redisPort, 'redis-server', redis);
  await waitListening(natsPort, 'nats-server', nats);
  const env = {
    DATABASE_URL: await freshDatabase(database),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
  };
  for (const app of SCHEMA_OWNERS) {
    const entry = join(dir, 'apps', app, 'dist/cli/migrate.js');
    if (existsSync(entry)) quietly(process.execPath, [entry], { cwd: dir, env: asIdentity(env) });
  }
  const streams = join(dir, 'apps/metering-service/dist/cli/streams.js');
  if (existsSync(streams))
    quietly(process.execPath, [streams], { cwd: dir, env: asIdentity(env, 'METERING') });
  return { env, database, pids: { redis: [redis.pid], 'nats-server': [nats.pid] } };
}
