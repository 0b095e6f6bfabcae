// The project's own services, started from their built output with .stack/env in the environment.
import { join } from 'node:path';
import { HOST, PORTS, ROOT } from './paths.mjs';
import { readPid, sleep, startDetached, stopDetached } from './proc.mjs';

/**
 * Order matters: key-service first (others ask it), gateway last. `nats`: the NAME of the NATS identity
 * (NATS_<NAME>_USER and _PASSWORD in .stack/env) the service connects as.
 */
export const SERVICES = [
  { name: 'demo-upstream', port: PORTS.demoUpstream, entry: 'apps/demo-upstream/dist/main.js' },
  // The development identity provider (local use only): the demo user signs in through it.
  { name: 'dev-idp', port: PORTS.devIdp, entry: 'apps/dev-idp/dist/main.js' },
  {
    name: 'key-service',
    port: PORTS.keyService,
    adminPort: PORTS.keyServiceAdmin,
    entry: 'apps/key-service/dist/main.js',
    nats: 'KEY_SERVICE',
  },
  {
    name: 'auth-service',
    port: PORTS.authService,
    adminPort: PORTS.authServiceAdmin,
    entry: 'apps/auth-service/dist/main.js',
    nats: 'AUTH',
  },
  {
    name: 'metering-service',
    port: PORTS.meteringService,
    adminPort: PORTS.meteringServiceAdmin,
    entry: 'apps/metering-service/dist/main.js',
    nats: 'METERING',
  },
  {
    name: 'gateway-service',
    port: PORTS.gateway,
    adminPort: PORTS.gatewayAdmin,
    entry: 'apps/gateway-service/dist/main.js',
    nats: 'GATEWAY',
  },
];

/** The services that own a database schema, each migrating it with its dist/cli/migrate.js. */
export const SCHEMA_OWNERS = ['key-service', 'metering-service'];

/** App name → the NAME of its NATS identity (the benchmark and the test setup start apps too). */
export const NATS_IDENTITY_OF = Object.fromEntries(
  SERVICES.filter((s) => s.nats).map((s) => [s.name, s.nats]),
);

/** Every identity's credentials out: a service is given its own only (a compromised gateway holds no other). */
export const withoutNatsCredentials = (env) =>
  Object.fromEntries(Object.entries(env).filter(([k]) => !/^NATS_[A-Z_]+_(USER|PASSWORD)$/.test(k)));

/** A service's own NATS credentials, picked from the stack's environment. */
export const natsCredentials = (env, name) =>
  name ? { NATS_USER: env[`NATS_${name}_USER`], NATS_PASSWORD: env[`NATS_${name}_PASSWORD`] } : {};

async function healthy(port) {
  try {
    const res = await fetch(`http://${HOST}:${port}/healthz`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

async function waitHealthy(svc, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await healthy(svc.port)) return;
    if (!readPid(svc.name)) break;
    await sleep(100);
  }
  throw new Error(`${svc.name} did not become healthy; see .stack/logs/${svc.name}.log`);
}

/** Starts the services that are not already running, telling onStart(name) for each one it starts. */
export async function startServices(env, onStart) {
  for (const svc of SERVICES) {
    if (readPid(svc.name) && (await healthy(svc.port))) continue;
    startDetached(svc.name, process.execPath, ['--enable-source-maps', join(ROOT, svc.entry)], {
      cwd: ROOT,
      env: {
        ...withoutNatsCredentials({ ...process.env, ...env }),
        ...natsCredentials(env, svc.nats),
        PORT: String(svc.port),
        ...(svc.adminPort && { ADMIN_PORT: String(svc.adminPort) }),
        HOST,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      },
    });
    onStart(svc.name);
  }
  for (const svc of SERVICES) await waitHealthy(svc);
}

export async function stopServices(names = SERVICES.map((s) => s.name)) {
  // Reverse order: the gateway stops taking traffic before what it depends on goes away.
  for (const name of [...names].reverse()) await stopDetached(name, 'SIGTERM', 130000);
}
