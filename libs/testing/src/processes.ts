// Runs a built service as a real child process on a free port, for tests of the services that call it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceNatsEnv } from './nats-identities.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface RunningService {
  url: string;
  /** The admin port's URL: /readyz, /metrics, /docs. */
  adminUrl: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Every child a test started: killed when the test process ends, whatever the test did (or failed to do). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/**
 * Starts `apps/<name>/dist/main.js` with the stack's environment plus `env`, and waits for /healthz. `root`: the
 * folder holding apps/ (default this repository; the image test starts services from an assembled one);
 * `entry`: another script under `root` to run instead (an image's own main.js).
 */
export async function startService(
  name: string,
  env: Record<string, string> = {},
  // Generous: on 2 shared cores, with other suites starting their own services, a start can take a while.
  timeoutMs = 60_000,
  options: { root?: string; entry?: string } = {},
): Promise<RunningService> {
  // A free port can be taken by another suite's process between our probe and the child's listen (seen in CI):
  // then the child exits with EADDRINUSE, and a start on new ports is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, env, timeoutMs, options);
    } catch (err) {
      if (attempt >= 3 || !(err as Error).message.includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOnce(
  name: string,
  env: Record<string, string>,
  timeoutMs: number,
  { root = ROOT, entry }: { root?: string; entry?: string },
): Promise<RunningService> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  let out = '';
  const child = spawn(process.execPath, [join(root, entry ?? join('apps', name, 'dist/main.js'))], {
    cwd: root,
    env: {
      ...process.env,
      ...serviceNatsEnv(name),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  // A child left running by a failed setup must not hold the test process open (Jest would wait forever).
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.unref();
  for (const pipe of [child.stdout, child.stderr])
    (pipe as unknown as { unref?: () => void } | null)?.unref?.();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    port,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
