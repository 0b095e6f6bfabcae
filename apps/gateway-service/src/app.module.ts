import { Module } from '@nestjs/common';
import { HealthModule } from '@gw/platform';

/** The OpenAI-compatible public API. Health, readiness and metrics only until its issue lands. */
@Module({ imports: [HealthModule] })
export class AppModule {}
