import { USAGE_SUBJECT } from '@gw/contracts';
import { env, loadConfig, serviceConfig, serviceEnv } from '@gw/platform';
import { z } from 'zod';

const Schema = z
  .object({
    ...serviceEnv(8083),
    DATABASE_URL: env.databaseUrl,
    NATS_URL: env.natsUrl,
    REDIS_URL: env.redisUrl,
    /** Events fetched and written per transaction. */
    METERING_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
    /** Deliveries before a message that keeps failing goes to the dead-letter subject. */
    METERING_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
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
  })
  .transform((e) => ({
    ...serviceConfig(e),
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    redisUrl: e.REDIS_URL,
    batchSize: e.METERING_BATCH_SIZE,
    maxDeliver: e.METERING_MAX_DELIVER,
    ackWaitMs: e.METERING_ACK_WAIT_MS,
    consumer: e.METERING_CONSUMER,
    filterSubject: e.METERING_FILTER_SUBJECT,
  }));

export type ServiceConfig = z.output<typeof Schema>;
export const loadServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('metering-service', Schema, source);
export { CONFIG, LOGGER } from '@gw/platform';
