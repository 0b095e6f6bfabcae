// Connections a service opens at start (NATS, Redis, Postgres), reported by /readyz and closed on shutdown.
import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
  type Provider,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { NatsClient } from './nats-client.js';
import type { NatsConnectionConfig } from './nats-config.js';
import { Readiness } from './readiness.js';
import { createRedis, type RedisClient, type RedisConnectionConfig, redisReady } from './redis.js';
import { CONFIG, LOGGER, NOT_REQUIRED_FOR_READINESS, REDIS } from './tokens.js';

export function natsProvider(serviceName: string): Provider {
  return {
    provide: NatsClient,
    inject: [CONFIG, LOGGER],
    useFactory: async (config: { nats: NatsConnectionConfig }, logger: Logger) => {
      const nats = new NatsClient(config.nats, serviceName, logger);
      await nats.connect();
      return nats;
    },
  };
}

/** Waits briefly for Redis, but starts without it: callers fall back while it is down (DESIGN). */
export function redisProvider(serviceName: string): Provider {
  return {
    provide: REDIS,
    inject: [CONFIG, LOGGER],
    useFactory: async (config: { redis: RedisConnectionConfig }, logger: Logger) => {
      const redis = createRedis(config.redis, serviceName);
      redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
      if (!(await redisReady(redis, 2000))) logger.warn('Redis is not reachable yet; starting without it');
      return redis;
    },
  };
}

/**
 * The connections' readiness checks, and their closing on shutdown: after every task given to `beforeClose`
 * (flushes that need them open). Nest runs the shutdown hooks of one dependency level together, so a flush
 * written as its own hook would race this one.
 */
@Injectable()
export class Connections implements OnModuleInit, OnApplicationShutdown {
  private readonly tasks: { name: string; run: () => Promise<unknown> | unknown }[] = [];

  constructor(
    private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly nats?: NatsClient,
    @Optional() @Inject(REDIS) private readonly redis?: RedisClient,
    @Optional() private readonly ds?: DataSource,
    @Optional() @Inject(NOT_REQUIRED_FOR_READINESS) private readonly optional: readonly string[] = [],
  ) {}

  onModuleInit() {
    if (this.ds) this.readiness.add('postgres', () => this.ds!.query('SELECT 1'));
    if (this.nats) this.readiness.add('nats', () => this.nats!.isConnected());
    if (this.redis && !this.optional.includes('redis'))
      this.readiness.add('redis', () => this.redis!.status === 'ready');
  }

  /** Work to finish on shutdown while NATS, Redis and Postgres are still open (all tasks run together). */
  beforeClose(name: string, run: () => Promise<unknown> | unknown) {
    this.tasks.push({ name, run });
  }

  async onApplicationShutdown() {
    await Promise.all(
      this.tasks.map(({ name, run }) =>
        Promise.resolve()
          .then(run)
          .catch((err: unknown) => this.logger.error({ err, task: name }, 'shutdown task failed')),
      ),
    );
    await this.nats?.close();
    this.redis?.disconnect();
    if (this.ds?.isInitialized) await this.ds.destroy();
    this.logger.info('connections closed');
  }
}
