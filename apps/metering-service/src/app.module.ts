import { Module } from '@nestjs/common';
import { HealthModule } from '@gw/platform';

/** Prices usage events and enforces quotas. Health, readiness and metrics only until its issue lands. */
@Module({ imports: [HealthModule] })
export class AppModule {}
