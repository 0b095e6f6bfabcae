import { type DynamicModule, Module } from '@nestjs/common';
import { createKeyFormat } from '@gw/key-format';
import {
  Connections,
  HealthModule,
  type Logger,
  natsProvider,
  PreRouter,
  priceBookProvider,
  PricingEventsController,
  redisProvider,
} from '@gw/platform';
import { Authenticator, KEY_FORMAT } from './auth/authenticator.js';
import { KeyEventsController } from './auth/key-events.controller.js';
import { CONFIG, type GatewayConfig, LOGGER } from './config.js';
import { HotRoutes } from './http/hot-routes.js';
import { InFlightRequests } from './http/in-flight.js';
import { ExhaustionNotice } from './limits/exhaustion-notice.js';
import { Limiter } from './limits/limiter.js';
import { QuotaFallback } from './limits/quota-fallback.js';
import { InferenceHandler } from './proxy/inference.handler.js';
import { StoredResponses } from './surfaces/stored-responses.js';
import { ModelsHandler } from './proxy/models.handler.js';
import { CountTokensHandler } from './proxy/count-tokens.handler.js';
import { CATALOGUE, UpstreamRouter } from './upstreams/router.js';
import type { UpstreamCatalogue } from './upstreams/upstream-config.js';
import { LastUsedBatcher } from './usage/last-used.js';
import { UsagePublisher } from './usage/usage-publisher.js';

/** gateway-service: the OpenAI-compatible public API. */
@Module({})
export class GatewayModule {
  static forRoot(
    config: GatewayConfig,
    logger: Logger,
    catalogue: UpstreamCatalogue,
    preRouter: PreRouter,
  ): DynamicModule {
    return {
      module: GatewayModule,
      imports: [HealthModule],
      controllers: [KeyEventsController, PricingEventsController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KEY_FORMAT, useValue: createKeyFormat(config.keyPrefix) },
        { provide: CATALOGUE, useValue: catalogue },
        { provide: PreRouter, useValue: preRouter },
        natsProvider('gateway-service'),
        redisProvider('gateway-service'),
        Connections,
        InFlightRequests,
        Authenticator,
        priceBookProvider,
        QuotaFallback,
        Limiter,
        ExhaustionNotice,
        UpstreamRouter,
        UsagePublisher,
        LastUsedBatcher,
        InferenceHandler,
        StoredResponses,
        ModelsHandler,
        CountTokensHandler,
        HotRoutes,
      ],
    };
  }
}
