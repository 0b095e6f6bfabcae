// key-service's connections: Postgres (its schema `keys`) and NATS.
import type { Provider } from '@nestjs/common';
import { natsProvider } from '@gw/platform';
import { DataSource } from 'typeorm';
import type { KeyServiceConfig } from './config.js';
import { keysDataSource } from './db/data-source.js';
import { CONFIG } from './tokens.js';

export const infrastructureProviders: Provider[] = [
  {
    provide: DataSource,
    inject: [CONFIG],
    useFactory: async (config: KeyServiceConfig) =>
      keysDataSource(config.databaseUrl, config.dbPoolSize).initialize(),
  },
  natsProvider('key-service'),
];
