import { creditsToMicros } from '@gw/contracts';
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
    /** Usage views show credits and this currency (ISO 4217 code) side by side. */
    CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
      .default('USD'),
    /** What one credit is worth in CURRENCY, up to 6 decimals. */
    CURRENCY_PER_CREDIT: z.coerce
      .number()
      .refine((n) => creditsToMicros(n) !== undefined && n > 0, 'a positive amount with at most 6 decimals')
      .default(1),
    /** How long key views wait for metering's spend figures before showing quota.used as null. */
    SPEND_TIMEOUT_MS: env.durationMs(500),
  })
  .transform((e) => ({
    ...serviceConfig(e),
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    adminToken: e.ADMIN_TOKEN,
    keyPrefix: e.KEY_PREFIX,
    dbPoolSize: e.DB_POOL_SIZE,
    currency: { code: e.CURRENCY, microsPerCredit: creditsToMicros(e.CURRENCY_PER_CREDIT)! },
    spendTimeoutMs: e.SPEND_TIMEOUT_MS,
  }));

export type KeyServiceConfig = z.output<typeof Schema>;
export const loadKeyServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('key-service', Schema, source);
