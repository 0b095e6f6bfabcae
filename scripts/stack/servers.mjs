// Postgres, Redis and nats-server as local processes on loopback, data under .stack/.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, NATS_CONFIG, NATS_IDENTITIES, PORTS, ROOT, STACK } from './paths.mjs';
import { portOpen, readPid, run, startDetached, stopDetached, waitFor } from './proc.mjs';

const PACKAGES = 'postgresql redis-server nats-server';

/** The path of `bin` on PATH, or undefined. */
export function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  const pg = onPath('postgres');
  return pg ? pg.replace(/\/postgres$/, '') : undefined;
}

function findBinaries() {
  const pgBin = postgresBinDir();
  return {
    pgBin,
    redis: onPath('redis-server'),
    nats: onPath('nats-server'),
  };
}

function missing(bins) {
  return [!bins.pgBin && 'postgresql', !bins.redis && 'redis-server', !bins.nats && 'nats-server'].filter(
    Boolean,
  );
}

/** Installs the Debian packages when they are missing and we may; otherwise one clear sentence. */
export function ensureBinaries() {
  let bins = findBinaries();
  const lacking = missing(bins);
  if (!lacking.length) return bins;
  const canApt = process.getuid?.() === 0 && onPath('apt-get');
  if (!canApt) {
    throw new Error(
      `Missing ${lacking.join(', ')}: install them (Debian/Ubuntu: sudo apt-get install ${PACKAGES}; ` +
        `macOS: brew install postgresql redis nats-server), or run the stack with docker compose up.`,
    );
  }
  console.log(`Installing ${lacking.join(', ')} from Debian packages…`);
  // Keep the packages' own init scripts from starting system-wide servers on default ports.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...lacking], { env });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  bins = findBinaries();
  const still = missing(bins);
  if (still.length) throw new Error(`Installing ${still.join(', ')} did not provide its server binary.`);
  return bins;
}

/** Postgres refuses to run as root: run it as the `postgres` system user then. */
function postgresUser() {
  if (process.getuid?.() !== 0) return {};
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (out.status !== 0)
    throw new Error('Running as root needs the `postgres` system user (apt-get install postgresql).');
  return { uid: Number(out.stdout), gid: Number(gid.stdout) };
}

/**
 * Postgres's data directory: .stack/pg, unless its user cannot reach it (a clone in a private, mode-700
 * directory while running as root): then a directory of this clone's own under /var/tmp, which it can.
 */
function postgresDataDir(user) {
  const inside = join(STACK, 'pg');
  if (user.uid === undefined) return inside;
  const reachable = spawnSync('test', ['-x', STACK], { uid: user.uid, gid: user.gid }).status === 0;
  if (reachable) return inside;
  // Named for this clone's path and for this clone itself (an id kept in .stack/): a new clone at the same
  // path gets a fresh database instead of one whose password it does not know, and the dead clones' go.
  const idFile = join(STACK, 'clone-id');
  if (!existsSync(idFile)) writeFileSync(idFile, randomBytes(8).toString('hex') + '\n');
  const prefix = `gw-stack-${createHash('sha256').update(ROOT).digest('hex').slice(0, 16)}-`;
  const own = join('/var/tmp', prefix + readFileSync(idFile, 'utf8').trim());
  for (const old of readdirSync('/var/tmp'))
    if (old.startsWith(prefix) && join('/var/tmp', old) !== own)
      rmSync(join('/var/tmp', old), { recursive: true, force: true });
  mkdirSync(own, { recursive: true, mode: 0o700 });
  chownSync(own, user.uid, user.gid);
  return join(own, 'pg');
}

async function startPostgres(pgBin, password, onStart) {
  if (await portOpen(PORTS.postgres)) return;
  const user = postgresUser();
  const data = postgresDataDir(user);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    mkdirSync(data, { recursive: true, mode: 0o700 });
    // Beside the data directory: where Postgres's user can read it.
    const pwFile = join(data, '..', 'pg-password.tmp');
    writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    if (user.uid !== undefined) {
      chownSync(data, user.uid, user.gid);
      chownSync(pwFile, user.uid, user.gid);
    }
    try {
      run(
        join(pgBin, 'initdb'),
        [
          '-D',
          data,
          '-U',
          'gateway',
          '--auth=scram-sha-256',
          `--pwfile=${pwFile}`,
          '-E',
          'UTF8',
          '--no-locale',
        ],
        { ...user, stdio: ['ignore', 'ignore', 'inherit'] },
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
  }
  // A throwaway local database: durability settings off for speed (never do this in production).
  startDetached(
    'postgres',
    join(pgBin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(PORTS.postgres),
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    { ...user, cwd: data },
  );
  onStart('postgres');
  await waitFor(() => portOpen(PORTS.postgres), 'Postgres');
}

async function startRedis(bin, onStart) {
  if (await portOpen(PORTS.redis)) return;
  const dir = join(STACK, 'redis');
  mkdirSync(dir, { recursive: true });
  startDetached('redis', bin, [
    '--port',
    String(PORTS.redis),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
  ]);
  onStart('redis');
  await waitFor(() => portOpen(PORTS.redis), 'Redis');
}

/** nats-server from deploy/nats/nats-server.conf (identities, no anonymous access) on this stack's ports. */
async function startNats(bin, natsPasswords, onStart) {
  if (await portOpen(PORTS.nats)) return;
  const dir = join(STACK, 'nats');
  mkdirSync(dir, { recursive: true });
  const passwords = Object.fromEntries(
    NATS_IDENTITIES.map(({ envName }) => [`NATS_${envName}_PASSWORD`, natsPasswords[envName]]),
  );
  startDetached(
    'nats',
    bin,
    [
      '-c',
      NATS_CONFIG,
      '-a',
      HOST,
      '-p',
      String(PORTS.nats),
      '-m',
      String(PORTS.natsMonitor),
      '-js',
      '-sd',
      dir,
    ],
    { env: { ...process.env, ...passwords } },
  );
  onStart('nats');
  await waitFor(() => portOpen(PORTS.nats), 'nats-server');
}

/** Starts what is not already listening, telling onStart(name) for each one it starts. */
export async function startServers(bins, secrets, onStart) {
  // onStart is told before each wait, so a server that fails to come up is still stopped by the caller.
  await startPostgres(bins.pgBin, secrets.pgPassword, onStart);
  await startRedis(bins.redis, onStart);
  await startNats(bins.nats, secrets.natsPasswords, onStart);
}

export async function stopServer(name) {
  // Postgres: SIGINT is its "fast" shutdown.
  return stopDetached(name, name === 'postgres' ? 'SIGINT' : 'SIGTERM');
}

export const SERVER_NAMES = ['nats', 'redis', 'postgres'];
export const serverRunning = (name) => readPid(name) !== undefined;
