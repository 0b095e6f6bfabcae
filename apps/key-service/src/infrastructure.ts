// Connections of key-service (Postgres, NATS): opened at start, reported by /readyz, closed on shutdown.
import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { type Logger, NatsClient, Readiness } from '@gw/platform';
import { DataSource } from 'typeorm';
import type { KeyServiceConfig } from './config.js';
import { keysDataSource } from './db/data-source.js';
import { CONFIG, LOGGER } from './tokens.js';

export const infrastructureProviders: Provider[] = [
  {
    provide: DataSource,
    inject: [CONFIG],
    useFactory: async (config: KeyServiceConfig) =>
      keysDataSource(config.databaseUrl, config.dbPoolSize).initialize(),
  },
  {
    provide: NatsClient,
    inject: [CONFIG, LOGGER],
    useFactory: async (config: KeyServiceConfig, logger: Logger) => {
      const nats = new NatsClient(config.natsUrl, 'key-service', logger);
      await nats.connect();
      return nats;
    },
  },
];

@Injectable()
export class Infrastructure implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsClient,
    private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    this.readiness.add('postgres', () => this.ds.query('SELECT 1'));
    this.readiness.add('nats', () => this.nats.isConnected());
  }

  async onApplicationShutdown() {
    await this.nats.close();
    await this.ds.destroy();
    this.logger.info('connections closed');
  }
}
