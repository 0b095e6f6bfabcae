import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AdminHealthController, PublicHealthController } from './health.controller.js';
import { Readiness } from './readiness.js';

@Global()
@Module({ controllers: [PublicHealthController], providers: [Readiness], exports: [Readiness] })
export class HealthModule {}

/** The admin app's module: its probes read the service's own Readiness. */
@Module({})
export class AdminModule {
  static forRoot(readiness: Readiness): DynamicModule {
    return {
      module: AdminModule,
      controllers: [AdminHealthController],
      providers: [{ provide: Readiness, useValue: readiness }],
    };
  }
}
