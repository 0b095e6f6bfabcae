import { type DynamicModule, Module } from '@nestjs/common';
import { createKeyFormat } from '@gw/key-format';
import {
  Connections,
  HealthModule,
  type Logger,
  NOT_REQUIRED_FOR_READINESS,
  redisProvider,
} from '@gw/platform';
import { AccessService } from './access/access.service.js';
import { CallerGuard } from './access/caller.guard.js';
import { OwnersRepository } from './access/owners.repository.js';
import { AccountsController, MeController } from './accounts/accounts.controller.js';
import { AccountsService } from './accounts/accounts.service.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { ConsoleAuthController } from './console-auth/auth.controller.js';
import { SignInIdentities } from './console-auth/identities.js';
import { OidcClient } from './console-auth/oidc-client.js';
import { ConsoleSessions } from './console-auth/sessions.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { webhookProviders } from './webhooks/webhooks.providers.js';
import type { KeyServiceConfig } from './config.js';
import { infrastructureProviders } from './infrastructure.js';
import { KeyEvents } from './keys/key-events.js';
import { KeyLookupService } from './keys/key-lookup.service.js';
import { KeyUsageListener } from './keys/key-usage.listener.js';
import { KeysController } from './keys/keys.controller.js';
import { KeysRepository } from './keys/keys.repository.js';
import { KeysRpc } from './keys/keys.rpc.js';
import { KeyLookupRpc } from './keys/key-lookup.rpc.js';
import { IncomingEventsController } from './events/incoming-events.controller.js';
import { KeysService } from './keys/keys.service.js';
import { OrganizationsController } from './organizations/organizations.controller.js';
import { OrganizationsService } from './organizations/organizations.service.js';
import { PricingController } from './pricing/pricing.controller.js';
import { PricingRpc } from './pricing/pricing.rpc.js';
import { MeteringClient } from './usage/metering.client.js';
import { UsageController } from './usage/usage.controller.js';
import { UsageService } from './usage/usage.service.js';
import { PricingService } from './pricing/pricing.service.js';
import { CLOCK, type Clock, CONFIG, KEY_FORMAT, LOGGER, systemClock } from './tokens.js';

export interface KeyServiceDeps {
  config: KeyServiceConfig;
  logger: Logger;
  clock?: Clock;
}

@Module({})
export class KeyServiceModule {
  static forRoot({ config, logger, clock = systemClock }: KeyServiceDeps): DynamicModule {
    return {
      module: KeyServiceModule,
      imports: [HealthModule],
      controllers: [
        KeysController,
        AccountsController,
        MeController,
        OrganizationsController,
        PricingController,
        UsageController,
        AuditController,
        WebhooksController,
        // The console's sign-in, when an identity provider is configured.
        ...(config.consoleAuth ? [ConsoleAuthController] : []),
        // NATS handlers (@MessagePattern / @EventPattern).
        KeysRpc,
        PricingRpc,
        IncomingEventsController,
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: clock },
        { provide: KEY_FORMAT, useValue: createKeyFormat(config.keyPrefix) },
        ...infrastructureProviders,
        ...(config.consoleAuth
          ? [
              redisProvider('key-service'),
              // Only console sessions need Redis: bearer calls are served without it.
              { provide: NOT_REQUIRED_FOR_READINESS, useValue: ['redis'] },
              ConsoleSessions,
              OidcClient,
              SignInIdentities,
            ]
          : []),
        Connections,
        OwnersRepository,
        KeysRepository,
        AccessService,
        CallerGuard,
        KeyEvents,
        AuditLog,
        AuditService,
        WebhookOutbox,
        ...webhookProviders,
        KeysService,
        KeyLookupService,
        KeyLookupRpc,
        KeyUsageListener,
        AccountsService,
        OrganizationsService,
        PricingService,
        MeteringClient,
        UsageService,
      ],
      exports: [KeysService, AccessService, OwnersRepository],
    };
  }
}
