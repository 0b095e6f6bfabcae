import { Module } from '@nestjs/common';
import { HealthModule } from '@gw/platform';

/** Verifies keys for the gateway (NATS auth.verify). Health, readiness and metrics only until its issue lands. */
@Module({ imports: [HealthModule] })
export class AppModule {}
