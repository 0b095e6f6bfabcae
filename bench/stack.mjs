// What every benchmark needs to run the services itself: free ports, processes started from a checkout's
// dist/ with their logs under .stack/logs/bench, the operator's REST calls, and a stop that ends only what
// it started. Shared by run.mjs and adversarial.mjs, so each can also run alone.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATS_IDENTITY_OF, natsCredentials, withoutNatsCredentials } from '../scripts/stack/services.mjs';

/** The checkout this file lives in: bench/.. (a copy in another worktree benchmarks that worktree). */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** An operator call to key-service's REST API (ADMIN_TOKEN from .stack/env). */
export async function admin(keyServiceUrl, method, path, body) {
  const res = await fetch(keyServiceUrl + path, {
    method,
    headers: { authorization: `Bearer ${process.env.ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export function createStack(root = ROOT) {
  const children = [];
  /** Each started service's admin URL (/metrics, /readyz), by its public URL. */
  const admins = new Map();
  /** Each started process, by its public URL. */
  const byUrl = new Map();
  const logDir = join(root, '.stack/logs/bench');
  mkdirSync(logDir, { recursive: true });

  /**
   * Starts `cmd args` on a free port (env(port) adds settings) and resolves with its URL once healthy. A
   * service connects to NATS as its own identity (by its name), given only its own credentials.
   */
  async function start(name, cmd, args, env, healthPath = '/healthz') {
    const [port, adminPort] = [await freePort(), await freePort()];
    const log = openSync(join(logDir, `${name}.log`), 'w');
    const identity = Object.entries(NATS_IDENTITY_OF).find(([app]) => name.includes(app))?.[1];
    const own = natsCredentials(process.env, identity);
    // The local stack polls webhooks every 100 ms (for the tests' speed): idle load a benchmark should not
    // carry. The services' own default (1 s) applies.
    const { WEBHOOK_POLL_MS: _stackOnly, ...inherited } = withoutNatsCredentials(process.env);
    const child = spawn(cmd, args, {
      cwd: root,
      env: {
        ...inherited,
        ...own,
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        ...env(port),
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      },
      stdio: ['ignore', log, log],
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    admins.set(url, `http://127.0.0.1:${adminPort}`);
    byUrl.set(url, child);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) break;
      try {
        await fetch(url + healthPath, { signal: AbortSignal.timeout(500) });
        return url;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`${name} did not start (see .stack/logs/bench/${name}.log)`);
  }

  /** SIGTERM to each process this stack started; SIGKILL to any still running after `graceMs`. */
  async function stop(graceMs = 5000) {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of running) c.kill('SIGTERM');
    await Promise.race([Promise.all(exited), sleep(graceMs)]);
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  /** Stops one started process (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
  async function stopOne(url, graceMs = 10_000) {
    const child = byUrl.get(url);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(graceMs)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  return {
    root,
    stopOne,
    pidOf: (url) => byUrl.get(url)?.pid,
    logDir,
    children,
    start,
    stop,
    adminUrl: (url) => admins.get(url),
    /** `[node, [entry]]` for start(): a path relative to the checkout (apps/x/dist/main.js). */
    node: (entry) => [process.execPath, [join(root, entry)]],
  };
}
