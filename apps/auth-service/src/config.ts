import {
  env,
  keyPrefixEnv,
  loadConfig,
  natsConnection,
  natsEnv,
  redisConnection,
  redisEnv,
  serviceConfig,
  serviceEnv,
} from '@gw/platform';
import { z } from 'zod';

export const CONFIG_SCHEMA = z
  .object({
    ...serviceEnv(8082),
    ...redisEnv,
    ...natsEnv,
    ...keyPrefixEnv,
    /** How long a key record stays in Redis without an event evicting it. */
    AUTH_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    /** How long an unknown hash is remembered, so a flood of wrong keys does not reach key-service. */
    AUTH_NEGATIVE_TTL_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    /** How long a verification waits for key-service's lookup (keys.lookup) of a key not in Redis. */
    KEY_LOOKUP_TIMEOUT_MS: env.durationMs(1000),
  })
  .transform((e, ctx) => ({
    ...serviceConfig(e),
    redis: redisConnection(e, ctx),
    nats: natsConnection(e, 'auth-service', ctx),
    keyPrefix: e.KEY_PREFIX,
    cacheTtlSeconds: e.AUTH_CACHE_TTL_SECONDS,
    negativeTtlSeconds: e.AUTH_NEGATIVE_TTL_SECONDS,
    lookupTimeoutMs: e.KEY_LOOKUP_TIMEOUT_MS,
  }));

export type AuthConfig = z.output<typeof CONFIG_SCHEMA>;
export const loadAuthConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('auth-service', CONFIG_SCHEMA, source);
export { CONFIG, LOGGER } from '@gw/platform';
