import { USAGE_SUBJECT } from '@gw/contracts';
import {
  databaseEnv,
  env,
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
    ...serviceEnv(8083),
    ...databaseEnv,
    ...natsEnv,
    ...redisEnv,
    /** Most events written per transaction. */
    METERING_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
    /**
     * How long the first event waiting to be written waits for others to share its transaction: a few
     * transactions a second at low load instead of one per request, for this much more lag.
     */
    METERING_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(200),
    /**
     * Batches one replica writes at once. Two let it price and encode a batch while Postgres writes the one
     * before (a backlog drained ~25 % faster here); totals rows are locked in one order, so writers never
     * deadlock, and a write that waits on another's rows waits only for its commit.
     */
    METERING_WRITERS: z.coerce.number().int().min(1).max(8).default(2),
    /**
     * Deliveries before a valid message whose write keeps failing for a reason other than the database being
     * unreachable goes to USAGE_DEADLETTER. Outages never count: the batch waits and retries.
     */
    METERING_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
    /** A delivered batch not acknowledged within this is redelivered (extended while a write is retried). */
    METERING_ACK_WAIT_MS: env.durationMs(30_000),
    /** The durable consumer every replica shares. Another name (with another subject) is another pipeline. */
    METERING_CONSUMER: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('metering'),
    /** Which subject of USAGE this pipeline reads: by default the one gateways publish to. */
    METERING_FILTER_SUBJECT: z
      .string()
      .regex(/^usage\.[A-Za-z0-9_.>*-]+$/, 'a subject of the USAGE stream (usage.…)')
      .default(USAGE_SUBJECT),
    /** false: a worker replica that consumes usage and answers no queries (metering.usage.query, .spend). */
    METERING_QUERIES: z.enum(['true', 'false']).default('true'),
    /** Replicas of the USAGE stream (a JetStream cluster's servers); applied by dist/cli/streams.js. */
    USAGE_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /** How long USAGE keeps events (0: no limit). */
    USAGE_STREAM_MAX_AGE_HOURS: z.coerce.number().int().min(0).max(87_600).default(168),
    /** How many bytes USAGE keeps at most (0: no limit). */
    USAGE_STREAM_MAX_BYTES: z.coerce.number().int().min(0).default(0),
    /** How long USAGE_DEADLETTER keeps the events metering could not record. */
    USAGE_DEADLETTER_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(87_600).default(720),
  })
  .transform((e, ctx) => ({
    ...serviceConfig(e),
    databaseUrl: e.DATABASE_URL,
    nats: natsConnection(e, 'metering', ctx),
    redis: redisConnection(e, ctx),
    batchSize: e.METERING_BATCH_SIZE,
    lingerMs: e.METERING_LINGER_MS,
    writers: e.METERING_WRITERS,
    maxDeliver: e.METERING_MAX_DELIVER,
    ackWaitMs: e.METERING_ACK_WAIT_MS,
    consumer: e.METERING_CONSUMER,
    filterSubject: e.METERING_FILTER_SUBJECT,
    queries: e.METERING_QUERIES === 'true',
    streams: {
      replicas: e.USAGE_STREAM_REPLICAS,
      maxAgeMs: e.USAGE_STREAM_MAX_AGE_HOURS * 3_600_000,
      maxBytes: e.USAGE_STREAM_MAX_BYTES,
      deadLetterMaxAgeMs: e.USAGE_DEADLETTER_MAX_AGE_HOURS * 3_600_000,
    },
  }));

export type ServiceConfig = z.output<typeof CONFIG_SCHEMA>;
export const loadServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('metering-service', CONFIG_SCHEMA, source);
export { CONFIG, LOGGER } from '@gw/platform';
