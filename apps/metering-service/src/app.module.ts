import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { Connections, HealthModule, type Logger, natsProvider } from '@gw/platform';
import { DataSource } from 'typeorm';
import { CONFIG, LOGGER, type ServiceConfig } from './config.js';
import { meteringDataSource } from './db/data-source.js';
import { UsageConsumer } from './usage/usage-consumer.js';
import { UsageWriter } from './usage/usage-writer.js';

const database: Provider = {
  provide: DataSource,
  inject: [CONFIG],
  useFactory: (config: ServiceConfig) => meteringDataSource(config.databaseUrl).initialize(),
};

/** metering-service: consumes usage events into schema `metering` (pricing and quotas: issue #4, next). */
@Module({})
export class MeteringModule {
  static forRoot(config: ServiceConfig, logger: Logger): DynamicModule {
    return {
      module: MeteringModule,
      imports: [HealthModule],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        database,
        natsProvider('metering-service'),
        Connections,
        UsageWriter,
        UsageConsumer,
      ],
    };
  }
}
