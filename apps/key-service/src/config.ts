import { creditsToMicros, parseIpRange } from '@gw/contracts';
import {
  databaseEnv,
  env,
  keyPrefixEnv,
  loadConfig,
  natsConnection,
  natsEnv,
  serviceConfig,
  serviceEnv,
} from '@gw/platform';
import { z } from 'zod';

const splitList = (s: string) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

const ipList = z
  .string()
  .default('')
  .refine(
    (s) => splitList(s).every((p) => parseIpRange(p) !== undefined),
    'addresses or CIDRs, comma-separated',
  );

export const CONFIG_SCHEMA = z
  .object({
    ...serviceEnv(8081),
    ...databaseEnv,
    ...natsEnv,
    /** The operator's bearer token for the management API (every account, tier and price). Keep it secret. */
    ADMIN_TOKEN: env.secret(16),
    /**
     * During a rotation of ADMIN_TOKEN: the token being replaced, still accepted until it is removed (roll the
     * new token out with the old one here, move every operator client to it, then unset this).
     */
    ADMIN_TOKEN_PREVIOUS: z.preprocess((v) => (v === '' ? undefined : v), env.secret(16).optional()),
    ...keyPrefixEnv,
    /** Postgres connections this replica keeps open. */
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
    /**
     * Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed for the client address
     * that a key's IP allow-list checks on management calls (and the audit log records). Empty: the socket.
     */
    TRUSTED_PROXIES: ipList,
    /** Retired secrets (regenerated away) are kept this long after their grace ends, answering key_revoked. */
    RETIRED_SECRET_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
    /** Webhooks may use plain http:// (https only by default). */
    WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false']).default('false'),
    /**
     * Addresses or CIDRs webhooks may reach although they are loopback, private, link-local or metadata
     * addresses (comma-separated). Empty: only public addresses.
     */
    WEBHOOK_ALLOWED_NETWORKS: ipList,
    /** Waits before each retry of a failed delivery, comma-separated ms; after the last, it is failed. */
    WEBHOOK_RETRY_SCHEDULE_MS: z
      .string()
      .default('5000,300000,1800000,7200000,18000000,36000000,36000000')
      .refine((s) => s.split(',').every((p) => /^\d{1,9}$/.test(p.trim())), 'ms values, comma-separated'),
    /** One attempt's limit (connect, send, answer). */
    WEBHOOK_TIMEOUT_MS: env.durationMs(10_000),
    /** How often the sender looks for due deliveries (it is also woken when this process enqueues one). */
    WEBHOOK_POLL_MS: env.durationMs(1_000),
    /** key.expiring goes out this long before a key's expiresAt. */
    WEBHOOK_EXPIRING_BEFORE_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .max(90 * 86_400_000)
      .default(7 * 86_400_000),
    /**
     * Encrypts webhook signing secrets at rest (AES-256-GCM, key derived with HKDF). At least 32 characters;
     * absent: derived from ADMIN_TOKEN (rotating that token then needs re-created webhooks).
     */
    WEBHOOK_ENCRYPTION_KEY: env.secret(32).optional(),
  })
  .transform((e, ctx) => ({
    ...serviceConfig(e),
    databaseUrl: e.DATABASE_URL,
    nats: natsConnection(e, 'key-service', ctx),
    adminToken: e.ADMIN_TOKEN,
    adminTokenPrevious: e.ADMIN_TOKEN_PREVIOUS,
    keyPrefix: e.KEY_PREFIX,
    dbPoolSize: e.DB_POOL_SIZE,
    currency: { code: e.CURRENCY, microsPerCredit: creditsToMicros(e.CURRENCY_PER_CREDIT)! },
    spendTimeoutMs: e.SPEND_TIMEOUT_MS,
    trustedProxies: splitList(e.TRUSTED_PROXIES),
    retiredSecretRetentionMs: e.RETIRED_SECRET_RETENTION_DAYS * 86_400_000,
    webhooks: {
      allowHttp: e.WEBHOOK_ALLOW_HTTP === 'true',
      allowedNetworks: splitList(e.WEBHOOK_ALLOWED_NETWORKS),
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map((p) => Number(p.trim())),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      pollMs: e.WEBHOOK_POLL_MS,
      expiringBeforeMs: e.WEBHOOK_EXPIRING_BEFORE_MS,
      encryptionKey: e.WEBHOOK_ENCRYPTION_KEY ?? `admin-token:${e.ADMIN_TOKEN}`,
    },
  }));

export type KeyServiceConfig = z.output<typeof CONFIG_SCHEMA>;
export const loadKeyServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('key-service', CONFIG_SCHEMA, source);
