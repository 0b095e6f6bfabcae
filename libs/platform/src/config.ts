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

/** What every service's environment has: where it listens and how much it logs. */
export const serviceEnv = (defaultPort: number) => ({
  PORT: env.port(defaultPort),
  HOST: env.host,
  LOG_LEVEL: env.logLevel,
});

export const serviceConfig = (e: {
  PORT: number;
  HOST: string;
  LOG_LEVEL: z.output<typeof env.logLevel>;
}) => ({
  port: e.PORT,
  host: e.HOST,
  logLevel: e.LOG_LEVEL,
});
