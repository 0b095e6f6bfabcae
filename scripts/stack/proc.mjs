// Process helpers: detached children that log to files under .stack/logs, pid files, port probes.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HOST, LOGS, PIDS } from './paths.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
  }
  return res;
}

export function portOpen(port, host = HOST, timeoutMs = 300) {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function waitFor(check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(name) {
  const file = join(PIDS, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
}

/** Starts a long-running child in its own process group, output to .stack/logs/<name>.log only. */
export function startDetached(name, cmd, args, opts = {}) {
  mkdirSync(LOGS, { recursive: true });
  mkdirSync(PIDS, { recursive: true });
  const fd = openSync(join(LOGS, `${name}.log`), 'a');
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  writeFileSync(join(PIDS, `${name}.pid`), String(child.pid));
  return child.pid;
}

/** Stops one child started by startDetached; returns true when something was stopped. */
export async function stopDetached(name, signal = 'SIGTERM', timeoutMs = 15000) {
  const pid = readPid(name);
  rmSync(join(PIDS, `${name}.pid`), { force: true });
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      return false;
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return true;
}

export function runningNames() {
  if (!existsSync(PIDS)) return [];
  return readdirSync(PIDS)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -4));
}
