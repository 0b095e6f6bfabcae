#!/usr/bin/env node
// `npm start`, `npm test`, `npm run stop`: the local stack on loopback. Node built-ins only until
// dependencies are installed, so it runs on a fresh machine that has nothing but Node 20.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeployTools } from './tools.mjs';
import { ENV_FILE, HOST, NATS_IDENTITIES, PORTS, ROOT, SECRETS_FILE, STACK } from './paths.mjs';
import { readPid, run } from './proc.mjs';
import { ensureBinaries, SERVER_NAMES, startServers, stopServer } from './servers.mjs';
import {
  natsCredentials,
  SCHEMA_OWNERS,
  SERVICES,
  startServices,
  stopServices,
  withoutNatsCredentials,
} from './services.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node ${process.versions.node} is too old: install Node 20.19 or newer.`);
  process.exit(1);
}

const quietNpm = ['--no-audit', '--no-fund', '--loglevel=error'];

function ensureDependencies() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  console.log('Installing dependencies…');
  // `npm install`, not `npm ci`: npm 11 here records only this platform's optional binaries in the lock,
  // which `npm ci` then rejects as out of sync. install still follows the lock's versions.
  run('npm', ['install', ...quietNpm], { cwd: ROOT });
}

/** Generated once per clone; a secret added by a newer version is generated on the next start. */
function loadSecrets() {
  const kept = existsSync(SECRETS_FILE) ? JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) : {};
  const secrets = {
    adminToken: 'gw-admin-' + randomBytes(24).toString('base64url'),
    pgPassword: randomBytes(18).toString('base64url'),
    // The development identity provider's demo user and the console's client secret there.
    demoPassword: randomBytes(12).toString('base64url'),
    oidcClientSecret: randomBytes(24).toString('base64url'),
    natsPasswords: {},
    ...kept,
  };
  // nats-server parses an environment variable's value as a config value: a letter first, then hex, keeps it
  // an unquoted string (a leading digit would read as a number).
  for (const { envName } of NATS_IDENTITIES)
    if (!/^n[0-9a-f]{48}$/.test(secrets.natsPasswords[envName] ?? ''))
      secrets.natsPasswords[envName] = 'n' + randomBytes(24).toString('hex');
  writeFileSync(SECRETS_FILE, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function readEnvFile() {
  if (!existsSync(ENV_FILE)) return {};
  return Object.fromEntries(
    readFileSync(ENV_FILE, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function writeEnvFile(env) {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  writeFileSync(ENV_FILE, lines.join('\n') + '\n', { mode: 0o600 });
}

/**
 * Settings the local stack starts from (tests read .stack/env too); edit .stack/env to change them. Webhooks:
 * every replica sharing the outbox must agree on these, and the tests deliver to receivers on loopback over
 * plain http, with retries seconds apart (production defaults: https, public addresses, retries over a day).
 */
const STACK_DEFAULTS = {
  // The gateway's usage spool, inside the stack's state (never the clone's working tree).
  USAGE_SPOOL_DIR: join(STACK, 'spool'),
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
  WEBHOOK_RETRY_SCHEDULE_MS: '300,600,1200,2400,4800',
  WEBHOOK_POLL_MS: '100',
  // A day of usage, at most 1 GiB, on a developer's disk (benchmarks publish hundreds of thousands).
  USAGE_STREAM_MAX_AGE_HOURS: '24',
  USAGE_STREAM_MAX_BYTES: String(1 << 30),
};

function baseEnv(secrets) {
  const url = (port) => `http://${HOST}:${port}`;
  return {
    GATEWAY_URL: url(PORTS.gateway),
    KEY_SERVICE_URL: url(PORTS.keyService),
    AUTH_SERVICE_URL: url(PORTS.authService),
    METERING_SERVICE_URL: url(PORTS.meteringService),
    DEMO_UPSTREAM_URL: url(PORTS.demoUpstream),
    // The development identity provider (apps/dev-idp, local use only) and its one client, the console's backend.
    OIDC_ISSUER: url(PORTS.devIdp),
    OIDC_CLIENT_ID: 'ai-gateway-console',
    OIDC_CLIENT_SECRET: secrets.oidcClientSecret,
    OIDC_REDIRECT_URIS: `${url(PORTS.keyService)}/auth/callback`,
    // key-service signs console users in through it (its /auth/callback is the redirect URI above).
    OIDC_REDIRECT_URI: `${url(PORTS.keyService)}/auth/callback`,
    // After sign-out, the provider sends people back to the console (dev-idp allows exactly this one).
    OIDC_POST_LOGOUT_REDIRECT_URI: `${url(PORTS.keyService)}/console/`,
    OIDC_POST_LOGOUT_REDIRECT_URIS: `${url(PORTS.keyService)}/console/`,
    // The web console's built files, served by key-service at /console/.
    CONSOLE_DIR: join(ROOT, 'apps/console/dist'),
    CONSOLE_URL: `${url(PORTS.keyService)}/console/`,
    DEMO_USER: 'demo',
    DEMO_PASSWORD: secrets.demoPassword,
    // The dev IdP's subject for its demo user (dev|<username>): the seed links it to the demo account.
    DEMO_OIDC_SUBJECT: 'dev|demo',
    GATEWAY_ADMIN_URL: url(PORTS.gatewayAdmin),
    KEY_SERVICE_ADMIN_URL: url(PORTS.keyServiceAdmin),
    AUTH_SERVICE_ADMIN_URL: url(PORTS.authServiceAdmin),
    METERING_SERVICE_ADMIN_URL: url(PORTS.meteringServiceAdmin),
    DATABASE_URL: `postgres://gateway:${secrets.pgPassword}@${HOST}:${PORTS.postgres}/gateway`,
    REDIS_URL: `redis://${HOST}:${PORTS.redis}`,
    NATS_URL: `nats://${HOST}:${PORTS.nats}`,
    ADMIN_TOKEN: secrets.adminToken,
    // Each NATS identity's credentials, so tests and operators can act as it (deploy/nats/auth.conf).
    ...Object.fromEntries(
      NATS_IDENTITIES.flatMap(({ name, envName }) => [
        [`NATS_${envName}_USER`, name],
        [`NATS_${envName}_PASSWORD`, secrets.natsPasswords[envName]],
      ]),
    ),
  };
}

/** Dependencies, servers, build, migrations and the demo seed. Returns the stack's environment. */
async function bootstrap() {
  mkdirSync(STACK, { recursive: true });
  ensureDependencies();
  const bins = ensureBinaries();
  const secrets = loadSecrets();
  await startServers(bins, secrets, (name) => startedByThisRun.push(name));
  const env = { ...STACK_DEFAULTS, ...readEnvFile(), ...baseEnv(secrets) };
  writeEnvFile(env);
  const childEnv = { ...process.env, ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, env: childEnv });
  // Each service that owns a schema migrates it (creating the database when missing); then the demo seed.
  for (const app of SCHEMA_OWNERS) {
    const migrate = join(ROOT, 'apps', app, 'dist/cli/migrate.js');
    if (existsSync(migrate)) run(process.execPath, [migrate], { cwd: ROOT, env: childEnv });
  }
  // The usage streams brought to the configured retention (services only create them when missing).
  run(process.execPath, [join(ROOT, 'apps/metering-service/dist/cli/streams.js')], {
    cwd: ROOT,
    env: { ...withoutNatsCredentials(childEnv), ...natsCredentials(env, 'METERING') },
  });
  const seeded = spawnSync(process.execPath, [join(ROOT, 'apps/key-service/dist/cli/seed-demo.js')], {
    cwd: ROOT,
    env: { ...withoutNatsCredentials(childEnv), ...natsCredentials(env, 'KEY_SERVICE') },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (seeded.status !== 0) throw new Error('The demo seed failed (see above).');
  Object.assign(env, JSON.parse(seeded.stdout.trim().split('\n').pop()));
  writeEnvFile(env);
  return env;
}

async function stopAll(names) {
  await stopServices(names.filter((n) => SERVICES.some((s) => s.name === n)));
  for (const name of SERVER_NAMES) if (names.includes(name)) await stopServer(name);
}

function printStarted(env, seconds) {
  // A fresh name each time: key names are unique per owner, so the printed line works every time.
  const name = `my-key-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const lines = [
    '',
    `The AI gateway stack is up (${seconds.toFixed(1)} s). Logs: .stack/logs/, settings: .stack/env`,
    '',
    '  service           public                  admin (/healthz /readyz /metrics /docs)',
    `  gateway-service   ${env.GATEWAY_URL}   ${env.GATEWAY_ADMIN_URL}`,
    `  key-service       ${env.KEY_SERVICE_URL}   ${env.KEY_SERVICE_ADMIN_URL}   (Swagger: ${env.KEY_SERVICE_ADMIN_URL}/docs)`,
    `  auth-service      ${env.AUTH_SERVICE_URL}   ${env.AUTH_SERVICE_ADMIN_URL}`,
    `  metering-service  ${env.METERING_SERVICE_URL}   ${env.METERING_SERVICE_ADMIN_URL}`,
    `  dev-idp           ${env.OIDC_ISSUER}   (OpenID Connect, local use only; user ${env.DEMO_USER}, password ${env.DEMO_PASSWORD})`,
    `  Postgres ${HOST}:${PORTS.postgres}  Redis ${HOST}:${PORTS.redis}  NATS ${HOST}:${PORTS.nats}`,
    '',
    `Demo account ${env.DEMO_ACCOUNT_ID}, demo key (keep it secret): ${env.DEMO_KEY}`,
    '',
    `The web console: ${env.CONSOLE_URL}  (sign in as ${env.DEMO_USER}, password ${env.DEMO_PASSWORD})`,
    '',
    'Call a model through the gateway with the demo key:',
    `  curl -s ${env.GATEWAY_URL}/v1/chat/completions -H 'Authorization: Bearer ${env.DEMO_KEY}' \\`,
    `    -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`,
    '',
    "The demo key's usage (totals, by day, by model; used / limit in credits and USD):",
    `  curl -s ${env.KEY_SERVICE_URL}/v1/keys/${env.DEMO_KEY_ID}/usage -H 'Authorization: Bearer ${env.DEMO_KEY}'`,
    '',
    'Create a key with the demo key:',
    `  curl -s -X POST ${env.KEY_SERVICE_URL}/v1/keys -H 'Authorization: Bearer ${env.DEMO_KEY}' \\`,
    `    -H 'Content-Type: application/json' -d '{"name":"${name}","permissions":["read"]}'`,
    '',
    'Ctrl-C stops what this command started; `npm run stop` stops everything.',
  ];
  console.log(lines.join('\n'));
}

/** One closing line over every workspace's Jest results (each writes .jest-results.json). */
function printTestTotals() {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const folders = ['apps', 'libs'].flatMap((dir) => readdirSync(join(ROOT, dir)).map((n) => join(dir, n)));
  for (const folder of [...folders, 'deploy']) {
    const file = join(ROOT, folder, '.jest-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    totals.skipped += r.numPendingTests + r.numTodoTests;
    rmSync(file);
  }
  console.log(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
}

/** The benchmark's load generator: Debian's wrk, installed when missing and we may. */
function ensureWrk() {
  if (spawnSync('sh', ['-c', 'command -v wrk']).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error('npm run bench needs wrk: sudo apt-get install wrk');
  run('apt-get', ['install', '-y', '-qq', 'wrk'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** What this invocation started: the only things its Ctrl-C, failure or CI cleanup stops. */
const startedByThisRun = [];

async function main(cmd) {
  if (cmd === 'stop') {
    await stopAll([...SERVICES.map((s) => s.name), ...SERVER_NAMES]);
    console.log('Stopped.');
    return 0;
  }
  if (cmd === 'start') {
    const t0 = Date.now();
    const env = await bootstrap();
    await startServices(env, (name) => startedByThisRun.push(name));
    const started = [...startedByThisRun];
    printStarted(env, (Date.now() - t0) / 1000);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      console.log('\nStopping…');
      await stopAll(started);
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Stay in the foreground until Ctrl-C, or until the stack is stopped elsewhere (`npm run stop`).
    setInterval(() => {
      if (stopping || SERVICES.some((s) => readPid(s.name))) return;
      console.log('\nThe stack was stopped elsewhere.');
      process.exit(0);
    }, 1000);
    return undefined;
  }
  if (cmd === 'test') {
    const env = { ...process.env, ...(await bootstrap()), TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
    // docker-compose and a kustomize v5 renderer for the deployment checks (deploy/ workspace): tests only.
    ensureDeployTools();
    // Formatting, types and lint are part of "all tests": CI proves them on every change.
    const format = spawnSync('npx', ['prettier', '--check', '--log-level=warn', '.'], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    const res = spawnSync(
      'npx',
      ['turbo', 'run', 'typecheck', 'lint', 'test', '--concurrency=2', '--output-logs=new-only'],
      { cwd: ROOT, env, stdio: 'inherit' },
    );
    printTestTotals();
    if (process.env.CI === 'true') await stopAll(startedByThisRun);
    return format.status === 0 && res.status === 0 ? 0 : 1;
  }
  if (cmd === 'bench') {
    const env = { ...process.env, ...(await bootstrap()) };
    ensureWrk();
    const res = spawnSync(process.execPath, [join(ROOT, 'bench/run.mjs')], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    if (process.env.CI === 'true') await stopAll(startedByThisRun);
    return res.status ?? 1;
  }
  console.error('usage: cli.mjs start|test|stop|bench');
  return 2;
}

main(process.argv[2]).then(
  (code) => code !== undefined && process.exit(code),
  async (err) => {
    console.error(`\n${err.message}`);
    // A failed start leaves nothing of its own running.
    await stopAll(startedByThisRun);
    process.exit(1);
  },
);
