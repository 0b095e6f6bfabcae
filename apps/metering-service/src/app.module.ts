import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import {
  Connections,
  HealthModule,
  type Logger,
  natsProvider,
  priceBookProvider,
  PricingEventsController,
  redisProvider,
} from '@gw/platform';
import { DataSource } from 'typeorm';
import { CONFIG, LOGGER, type ServiceConfig } from './config.js';
import { meteringDataSource } from './db/data-source.js';
import { SpendCounters } from './quota/spend-counters.js';
import { UsageConsumer } from './usage/usage-consumer.js';
import { UsagePricer } from './usage/usage-pricer.js';
import { UsageQueries } from './usage/usage-queries.js';
import { UsageQueriesRpc } from './usage/usage-queries.rpc.js';
import { UsageWriter } from './usage/usage-writer.js';

const database: Provider = {
  provide: DataSource,
  inject: [CONFIG],
  useFactory: (config: ServiceConfig) => meteringDataSource(config.databaseUrl).initialize(),
};

/** metering-service: prices usage events into schema `metering`, keeps the Redis spend counters, answers usage. */
@Module({})
export class MeteringModule {
  static forRoot(config: ServiceConfig, logger: Logger): DynamicModule {
    return {
      module: MeteringModule,
      imports: [HealthModule],
      controllers: [PricingEventsController, ...(config.queries ? [UsageQueriesRpc] : [])],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        database,
        natsProvider('metering-service'),
        redisProvider('metering-service'),
        Connections,
        priceBookProvider,
        UsagePricer,
        SpendCounters,
        UsageWriter,
        UsageConsumer,
        UsageQueries,
      ],
    };
  }
}
