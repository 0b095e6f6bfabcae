// What webhooks add to key-service's module: management, the sender and the event sources (the outbox
// itself, WebhookOutbox, is registered with the services that enqueue).
import type { Provider } from '@nestjs/common';
import type { Logger } from '@gw/platform';
import type { KeyServiceConfig } from '../config.js';
import { CONFIG, LOGGER } from '../tokens.js';
import { DestinationPolicy } from './destination-policy.js';
import { SecretBox } from './secret-box.js';
import { WebhookEventsListener } from './webhook-events.listener.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksService } from './webhooks.service.js';

export const webhookProviders: Provider[] = [
  {
    provide: SecretBox,
    inject: [CONFIG],
    useFactory: (config: KeyServiceConfig) => new SecretBox(config.webhooks.encryptionKey),
  },
  {
    provide: DestinationPolicy,
    inject: [CONFIG, LOGGER],
    useFactory: (config: KeyServiceConfig, logger: Logger) =>
      new DestinationPolicy(config.webhooks, undefined, (detail) =>
        logger.debug(detail, 'webhook destination refused'),
      ),
  },
  WebhooksService,
  WebhookSender,
  WebhookEventsListener,
];
