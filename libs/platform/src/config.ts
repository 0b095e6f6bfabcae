// Config from the environment, validated once at start into a typed object, with a clear message.
import { z } from 'zod';

export class ConfigError extends Error {}

export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const res = schema.safeParse(env);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`${service}: invalid configuration:\n${lines.join('\n')}`);
}

const url = (protocols: string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(' or ')}// URL`,
  );

/** Building blocks each service composes into its own schema. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: z.string().min(1).default('0.0.0.0'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  databaseUrl: url(['postgres:', 'postgresql:']),
  redisUrl: url(['redis:', 'rediss:']),
  natsUrl: z
    .string()
    .min(1)
    .refine(
      (s) => s.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u.trim())),
      'must be nats:// URLs, comma-separated',
    ),
  secret: (min: number) => z.string().min(min, `must be at least ${min} characters`),
  keyPrefix: z
    .string()
    .regex(/^[a-z0-9_-]{1,16}$/i, '1–16 letters, digits, "_" or "-"')
    .default('gw-sk-'),
  durationMs: (fallback: number) => z.coerce.number().int().min(1).max(3_600_000).default(fallback),
};

/** Postgres, for the services that own a schema (key-service, metering-service). */
export const databaseEnv = {
  /** postgres:// URL with user and password; the service's schema lives in this database. */
  DATABASE_URL: env.databaseUrl,
};

/** The key format's prefix, which every service that reads keys must agree on. */
export const keyPrefixEnv = {
  /** The prefix of every API key (`gw-sk-` by default); keys with another prefix are refused unread. */
  KEY_PREFIX: env.keyPrefix,
};

/** What every service's environment has: where it listens (public and admin ports), how it stops, how much it logs. */
export const serviceEnv = (defaultPort: number, defaults: { shutdownGraceMs?: number } = {}) => ({
  /** The public port: the API (and a plain /healthz). */
  PORT: env.port(defaultPort),
  /** The address to listen on (0.0.0.0: every interface; 127.0.0.1: this machine only). */
  HOST: env.host,
  /** /healthz, /readyz, /metrics and the API docs. Default: PORT + 1000 (0 when PORT is 0: any free port). */
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * The admin port's listening address: 127.0.0.1 keeps metrics and docs on this machine; containers set
   * 0.0.0.0 (Kubernetes probes and Prometheus reach it). Default: 127.0.0.1.
   */
  ADMIN_HOST: z.string().min(1).optional(),
  /** JSON logs to stdout at this level and above. */
  LOG_LEVEL: env.logLevel,
  /** On SIGTERM, open requests and streams get this long to finish; then they are cut (and billed). */
  SHUTDOWN_GRACE_MS: env.durationMs(defaults.shutdownGraceMs ?? 30_000),
  /**
   * On SIGTERM, /readyz turns 503 at once but new requests are still taken for this long, so load balancers
   * (Kubernetes endpoints) stop sending before the port closes. 0 locally; 5000 in the k8s manifests.
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
});

export const serviceConfig = (e: {
  PORT: number;
  HOST: string;
  ADMIN_PORT?: number;
  ADMIN_HOST?: string;
  LOG_LEVEL: z.output<typeof env.logLevel>;
  SHUTDOWN_GRACE_MS: number;
  SHUTDOWN_DELAY_MS: number;
}) => ({
  port: e.PORT,
  host: e.HOST,
  adminPort: e.ADMIN_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1000),
  adminHost: e.ADMIN_HOST ?? '127.0.0.1',
  logLevel: e.LOG_LEVEL,
  shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
});

/**
 * A loaded config with overrides (tests, embedding): an overridden port moves the admin port with it unless
 * that is given too (port 0: both any free port), and the same for the host.
 */
export function withOverrides<C extends ReturnType<typeof serviceConfig>>(
  loaded: C,
  overrides: Partial<C>,
): C {
  const merged = { ...loaded, ...overrides };
  if (overrides.port !== undefined && overrides.adminPort === undefined)
    merged.adminPort = overrides.port === 0 ? 0 : overrides.port + 1000;
  if (overrides.host !== undefined && overrides.adminHost === undefined) merged.adminHost = overrides.host;
  return merged;
}
