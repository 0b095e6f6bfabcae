#!/usr/bin/env node
// `node scripts/image/assemble.mjs <app> <dir>`: the runtime file set of one service's image, assembled from a
// built checkout: the root and every workspace's package.json with the lockfile (so `npm ci` checks them), the
// built output (dist/) of the app and of the workspace libraries it depends on, and the app's production
// dependencies only (`npm ci --omit=dev` for that workspace). The Dockerfile runs exactly this, and a test
// (deploy/test/image.test.ts) runs it into a temporary folder and starts every service from there.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const IMAGE_APPS = [
  'key-service',
  'auth-service',
  'gateway-service',
  'metering-service',
  'demo-upstream',
];

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** Every workspace of the repository (the root's `workspaces`: `dir/*` or `dir`): its folder and package.json. */
function workspaces(root, patterns) {
  const out = new Map();
  const dirs = patterns.flatMap((p) =>
    p.endsWith('/*') ? readdirSync(join(root, p.slice(0, -2))).map((n) => join(p.slice(0, -2), n)) : [p],
  );
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (existsSync(file)) out.set(readJson(file).name, { dir, pkg: readJson(file) });
  }
  return out;
}

/** The app's workspace and the workspaces it needs at run time (production dependencies, transitively). */
function runtimeWorkspaces(all, appName) {
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name) || !all.has(name)) return;
    needed.add(name);
    for (const dep of Object.keys(all.get(name).pkg.dependencies ?? {})) visit(dep);
  };
  visit(appName);
  return [...needed].map((n) => all.get(n));
}

export function assemble(app, out, { root = ROOT, log = () => undefined } = {}) {
  if (!IMAGE_APPS.includes(app)) throw new Error(`unknown app ${app}; one of ${IMAGE_APPS.join(', ')}`);
  const dest = resolve(out);
  mkdirSync(dest, { recursive: true });
  const rootPkg = readJson(join(root, 'package.json'));
  const all = workspaces(root, rootPkg.workspaces);
  // The root manifest without its scripts; every workspace's manifest too, so `npm ci` finds the lockfile true.
  writeFileSync(join(dest, 'package.json'), JSON.stringify({ ...rootPkg, scripts: {} }, null, 2));
  cpSync(join(root, 'package-lock.json'), join(dest, 'package-lock.json'));
  for (const { dir, pkg } of all.values()) {
    mkdirSync(join(dest, dir), { recursive: true });
    writeFileSync(join(dest, dir, 'package.json'), JSON.stringify(pkg, null, 2));
  }
  for (const { dir } of runtimeWorkspaces(all, `@gw/${app}`)) {
    const dist = join(root, dir, 'dist');
    if (!existsSync(dist)) throw new Error(`${dir}/dist is missing: build first (npx turbo run build)`);
    cpSync(dist, join(dest, dir, 'dist'), { recursive: true });
  }
  // key-service serves the web console: its built files, found at ./console unless CONSOLE_DIR says otherwise.
  if (app === 'key-service') {
    const console = join(root, 'apps/console/dist');
    if (!existsSync(join(console, 'index.html')))
      throw new Error('apps/console/dist is missing: build first');
    cpSync(console, join(dest, 'console'), { recursive: true });
  }
  // The image's entry points, the same for every app: `node main.js` and the HEALTHCHECK's probe (the admin
  // port's /healthz; the demo upstream has only its one port).
  writeFileSync(
    join(dest, 'main.js'),
    app === 'key-service'
      ? "import { fileURLToPath } from 'node:url';\n" +
          "process.env.CONSOLE_DIR ||= fileURLToPath(new URL('./console/', import.meta.url));\n" +
          `await import('./apps/${app}/dist/main.js');\n`
      : `import './apps/${app}/dist/main.js';\n`,
  );
  const probePort = app === 'demo-upstream' ? 'PORT ?? 8089' : 'ADMIN_PORT ?? 9090';
  writeFileSync(
    join(dest, 'healthcheck.js'),
    `fetch('http://127.0.0.1:' + (process.env.${probePort}) + '/healthz', { signal: AbortSignal.timeout(2000) })` +
      `.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));\n`,
  );
  const npm = spawnSync(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--workspace',
      `@gw/${app}`,
    ],
    { cwd: dest, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  log(npm.stdout + npm.stderr);
  if (npm.status !== 0) throw new Error(`npm ci failed in ${dest}:\n${npm.stdout}\n${npm.stderr}`);
  return dest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [app, out] = process.argv.slice(2);
  if (!app || !out) {
    console.error('usage: node scripts/image/assemble.mjs <app> <dir>');
    process.exit(2);
  }
  assemble(app, out, { log: (s) => process.stdout.write(s) });
}
