import { parseIpRange } from '@gw/contracts';
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
    ...serviceEnv(8080, { shutdownGraceMs: 120_000 }),
    ...redisEnv,
    ...natsEnv,
    ...keyPrefixEnv,
    /** Providers file (JSON, see README "Upstreams"). Without it: the demo upstream at DEMO_UPSTREAM_URL. */
    UPSTREAMS_FILE: z.string().min(1).optional(),
    /** The one provider used when UPSTREAMS_FILE is not set: the demo upstream. */
    DEMO_UPSTREAM_URL: z.url().default('http://127.0.0.1:8089'),
    /** Bound on how stale a cached principal can be when an event is missed. */
    PRINCIPAL_CACHE_TTL_MS: env.durationMs(30_000),
    /** How long an unknown key's verdict is remembered here, so repeats of a wrong key cost no lookup. */
    NEGATIVE_CACHE_TTL_MS: env.durationMs(5_000),
    /** How long a request waits for auth-service (auth.verify) before it is answered 503. */
    AUTH_TIMEOUT_MS: env.durationMs(1_000),
    /** Largest request body; above it, 413 before the body is read further. */
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    /** JSON bodies nested deeper than this are refused (400) before they are parsed. */
    MAX_JSON_DEPTH: z.coerce.number().int().min(4).max(256).default(32),
    /**
     * JSON elements a body may hold (each value after a comma counts 1, each object or array 8, each key 16): bounds the
     * time JSON.parse takes on the event loop (~20 ms here at the default), whatever the body's size.
     */
    MAX_JSON_VALUES: z.coerce.number().int().min(1_000).max(100_000_000).default(300_000),
    /**
     * Most answers one request may ask for: `n` × `best_of` × prompts of an array. Each is reserved at the
     * output cap; above it the request is refused (400 naming the field).
     */
    MAX_CHOICES: z.coerce.number().int().min(1).max(1024).default(16),
    /** Failed authentications (unknown or malformed keys) one client address may make per minute, per replica. */
    FAILED_AUTH_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
    /** Unknown-key verdicts kept apart from real principals, so a flood of forged keys evicts none of them. */
    NEGATIVE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(100).max(10_000_000).default(50_000),
    /** A stream whose client reads nothing for this long (backpressure) is ended and billed. */
    STREAM_STALL_TIMEOUT_MS: env.durationMs(30_000),
    /** After a client leaves, the upstream is read on this long to learn the real usage (0: cancel at once). */
    USAGE_READ_AFTER_CLOSE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    /** How many gateway replicas share the limits: the local fallback limiter uses limit ÷ this while Redis is down. */
    GATEWAY_REPLICAS: z.coerce.number().int().min(1).max(10_000).default(1),
    /**
     * Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed for the client address
     * that IP allow-lists check. Empty: the socket address. A hop count is not offered: it cannot tell a
     * proxy from a client that forges the header.
     */
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .refine(
        (s) => s.split(',').every((p) => !p.trim() || parseIpRange(p.trim()) !== undefined),
        'addresses or CIDRs, comma-separated',
      ),
    /**
     * Where usage events wait on disk while NATS is unreachable (relative: to the working directory; a volume in
     * a container, and replicas may share one: files are named per host and process). Keep it private to the
     * service's user: only its own regular files there are ever replayed.
     */
    USAGE_SPOOL_DIR: z.string().min(1).default('.usage-spool'),
    /** This replica's bound on its spool files; past it new events are dropped (counted and logged). */
    USAGE_SPOOL_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 ** 3)
      .default(256 * 1024 * 1024),
    /**
     * A usage event waits at most this long for others to share its JetStream message: each message costs
     * nats-server and metering a wake-up, a store and an ack, whatever it holds. A gateway killed without
     * its shutdown loses what waits (SIGTERM flushes it).
     */
    USAGE_BURST_MS: z.coerce.number().int().min(0).max(200).default(50),
    /** Keys' last_used_at reach key-service in batches this often. */
    LAST_USED_FLUSH_MS: env.durationMs(5_000),
    /**
     * What is held for a request that metering never counts (its gateway died) is freed this long after the end
     * of its 5-minute hold bucket. Give every replica the same value.
     */
    QUOTA_RESERVATION_TTL_MS: env.durationMs(600_000),
    /** With Redis and metering both unreachable, let requests of keys with limits through (default: 503). */
    QUOTA_FAIL_OPEN: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /**
     * The longest a request may take from forwarding to its last byte; then the upstream is cancelled and the
     * client's stream cut. At least a minute below QUOTA_RESERVATION_TTL_MS, so no hold expires under a live
     * request or before metering has counted it.
     */
    REQUEST_MAX_MS: env.durationMs(300_000),
  })
  .refine((e) => e.REQUEST_MAX_MS + 60_000 <= e.QUOTA_RESERVATION_TTL_MS, {
    message: 'must be at least 60000 below QUOTA_RESERVATION_TTL_MS',
    path: ['REQUEST_MAX_MS'],
  })
  .transform((e, ctx) => ({
    ...serviceConfig(e),
    redis: redisConnection(e, ctx),
    nats: natsConnection(e, 'gateway', ctx),
    keyPrefix: e.KEY_PREFIX,
    upstreamsFile: e.UPSTREAMS_FILE,
    demoUpstreamUrl: e.DEMO_UPSTREAM_URL,
    principalTtlMs: e.PRINCIPAL_CACHE_TTL_MS,
    negativeTtlMs: e.NEGATIVE_CACHE_TTL_MS,
    authTimeoutMs: e.AUTH_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    maxJsonValues: e.MAX_JSON_VALUES,
    maxChoices: e.MAX_CHOICES,
    failedAuthPerMinute: e.FAILED_AUTH_PER_MINUTE,
    negativeCacheMaxEntries: e.NEGATIVE_CACHE_MAX_ENTRIES,
    streamStallTimeoutMs: e.STREAM_STALL_TIMEOUT_MS,
    usageReadAfterCloseMs: e.USAGE_READ_AFTER_CLOSE_MS,
    requestMaxMs: e.REQUEST_MAX_MS,
    replicas: e.GATEWAY_REPLICAS,
    trustedProxies: e.TRUSTED_PROXIES.split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    spoolDir: e.USAGE_SPOOL_DIR,
    spoolMaxBytes: e.USAGE_SPOOL_MAX_BYTES,
    lastUsedFlushMs: e.LAST_USED_FLUSH_MS,
    usageBurstMs: e.USAGE_BURST_MS,
    reservationTtlMs: e.QUOTA_RESERVATION_TTL_MS,
    quotaFailOpen: e.QUOTA_FAIL_OPEN,
  }));

export type GatewayConfig = z.output<typeof CONFIG_SCHEMA>;
export const loadGatewayConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('gateway-service', CONFIG_SCHEMA, source);
export { CONFIG, LOGGER } from '@gw/platform';
