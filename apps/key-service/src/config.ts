import { env, loadConfig, serviceConfig, serviceEnv } from '@gw/platform';
import { z } from 'zod';

const Schema = z
  .object({
    ...serviceEnv(8081),
    DATABASE_URL: env.databaseUrl,
    NATS_URL: env.natsUrl,
    ADMIN_TOKEN: env.secret(16),
    KEY_PREFIX: env.keyPrefix,
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  })
  .transform((e) => ({
    ...serviceConfig(e),
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    adminToken: e.ADMIN_TOKEN,
    keyPrefix: e.KEY_PREFIX,
    dbPoolSize: e.DB_POOL_SIZE,
  }));

export type KeyServiceConfig = z.output<typeof Schema>;
export const loadKeyServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('key-service', Schema, source);
