import { AccountEntity } from './account.entity.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { MembershipEntity } from './membership.entity.js';
import { OrganizationEntity } from './organization.entity.js';
import { ModelPriceEntity, PricingGroupEntity, TierEntity } from './pricing.entity.js';
import { RetiredSecretEntity } from './retired-secret.entity.js';
import { WebhookDeliveryEntity, WebhookEntity } from './webhook.entity.js';

export * from './account.entity.js';
export * from './api-key.entity.js';
export * from './audit-event.entity.js';
export * from './membership.entity.js';
export * from './organization.entity.js';
export * from './pricing.entity.js';
export * from './retired-secret.entity.js';
export * from './webhook.entity.js';

export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  AuditEventEntity,
  MembershipEntity,
  ModelPriceEntity,
  OrganizationEntity,
  PricingGroupEntity,
  RetiredSecretEntity,
  TierEntity,
  WebhookDeliveryEntity,
  WebhookEntity,
];
