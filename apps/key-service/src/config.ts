import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { creditsToMicros, parseIpRange } from '@gw/contracts';
import {
  databaseEnv,
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
    ...redisEnv,
    /**
     * The company's OpenID Connect provider (its issuer URL): people sign in to the console through it. Unset:
     * no sign-in (bearer tokens only). Needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI and Redis
     * (REDIS_URL or REDIS_CLUSTER_NODES) for the sessions.
     */
    OIDC_ISSUER: z.url().optional(),
    /** This service's client id at the provider. */
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** This service's client secret at the provider. */
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** Where the provider sends people back: this service's /auth/callback as browsers reach it. */
    OIDC_REDIRECT_URI: z.url().optional(),
    /**
     * Where the provider sends people after they sign out of the console (registered with it as a
     * post-logout redirect URI), e.g. the console's own URL. Unset: the provider's own signed-out page.
     */
    OIDC_POST_LOGOUT_REDIRECT_URI: z.url().optional(),
    /** Scopes asked for at sign-in. */
    OIDC_SCOPES: z.string().default('openid profile email groups'),
    /** The claim that lists a person's groups. */
    OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
    /**
     * Members of this group sign in as the operator (every account, tier and price), for at most an hour per
     * sign-in. Unset: nobody does. Name a group only administrators can change membership of (an immutable
     * group id where the provider has them).
     */
    OIDC_OPERATOR_GROUP: z.string().min(1).optional(),
    /**
     * Only members of this group may sign in (and get an account at their first sign-in). Unset: everyone the
     * provider signs in — set it unless that is only your own people.
     */
    OIDC_ALLOWED_GROUP: z.string().min(1).optional(),
    /** The tier of an account created at a person's first sign-in. */
    OIDC_DEFAULT_TIER: z.string().min(1).default('free'),
    /**
     * Who may have an account: `first-sign-in` creates one (with OIDC_DEFAULT_TIER) for each person the provider
     * signs in and OIDC_ALLOWED_GROUP lets in; `operator-linked` signs in only people the operator linked to an
     * account first (POST /v1/accounts/{id}/identities). Members of OIDC_OPERATOR_GROUP get one either way.
     */
    OIDC_PROVISIONING: z.enum(['first-sign-in', 'operator-linked']).default('first-sign-in'),
    /**
     * Organization roles from the groups claim: a group named `<prefix><organization id>:<role>` (owner, admin
     * or member) gives the person that role, kept in step at each sign-in; memberships made by hand are left
     * alone. Unset: roles come from the memberships the organizations' owners manage only.
     */
    OIDC_ORGANIZATION_GROUP_PREFIX: z.string().min(1).max(100).optional(),
    /**
     * The web console's built files (apps/console/dist; /app/console in the image), served at /console/
     * when OIDC_ISSUER is set too (people sign in to it there). Unset: no console.
     */
    CONSOLE_DIR: z
      .string()
      .min(1)
      .optional()
      .refine((dir) => !dir || existsSync(join(dir, 'index.html')), 'must be a directory holding index.html'),
    /** How long a console session lasts from sign-in. */
    SESSION_TTL_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .max(30 * 86_400_000)
      .default(8 * 3_600_000),
  })
  .transform((e, ctx) => ({
    ...serviceConfig(e),
    consoleAuth: consoleAuth(e, ctx),
    consoleDir: e.CONSOLE_DIR ? resolve(e.CONSOLE_DIR) : undefined,
    redis: e.OIDC_ISSUER ? redisConnection(e, ctx) : undefined,
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

/** The console's sign-in settings, when OIDC_ISSUER is set; each missing companion setting is named. */
function consoleAuth(
  e: {
    OIDC_ISSUER?: string;
    OIDC_CLIENT_ID?: string;
    OIDC_CLIENT_SECRET?: string;
    OIDC_REDIRECT_URI?: string;
    OIDC_POST_LOGOUT_REDIRECT_URI?: string;
    OIDC_SCOPES: string;
    OIDC_GROUPS_CLAIM: string;
    OIDC_OPERATOR_GROUP?: string;
    OIDC_ALLOWED_GROUP?: string;
    OIDC_DEFAULT_TIER: string;
    OIDC_PROVISIONING: 'first-sign-in' | 'operator-linked';
    OIDC_ORGANIZATION_GROUP_PREFIX?: string;
    SESSION_TTL_MS: number;
  },
  ctx: z.RefinementCtx,
) {
  if (!e.OIDC_ISSUER) return undefined;
  for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'] as const)
    if (!e[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required with OIDC_ISSUER' });
  // Session cookies are Secure exactly when the redirect URI is https: plain http only for a console on this
  // machine. The same for where the provider sends people after sign-out.
  for (const name of ['OIDC_REDIRECT_URI', 'OIDC_POST_LOGOUT_REDIRECT_URI'] as const) {
    const url = e[name] ? new URL(e[name]) : undefined;
    const local = url && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
      ctx.addIssue({ code: 'custom', path: [name], message: 'https, or http on loopback only' });
  }
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID ?? '',
    clientSecret: e.OIDC_CLIENT_SECRET ?? '',
    redirectUri: e.OIDC_REDIRECT_URI ?? '',
    postLogoutRedirectUri: e.OIDC_POST_LOGOUT_REDIRECT_URI,
    scopes: e.OIDC_SCOPES,
    groupsClaim: e.OIDC_GROUPS_CLAIM,
    operatorGroup: e.OIDC_OPERATOR_GROUP,
    allowedGroup: e.OIDC_ALLOWED_GROUP,
    defaultTier: e.OIDC_DEFAULT_TIER,
    provisioning: e.OIDC_PROVISIONING,
    organizationGroupPrefix: e.OIDC_ORGANIZATION_GROUP_PREFIX,
    sessionTtlMs: e.SESSION_TTL_MS,
  };
}

export type KeyServiceConfig = z.output<typeof CONFIG_SCHEMA>;
export const loadKeyServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('key-service', CONFIG_SCHEMA, source);
