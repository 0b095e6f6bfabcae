import { AccountEntity } from './account.entity.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { MembershipEntity } from './membership.entity.js';
import { OrganizationEntity } from './organization.entity.js';
import { ModelPriceEntity, PricingGroupEntity, TierEntity } from './pricing.entity.js';
import { RetiredSecretEntity } from './retired-secret.entity.js';

export {
  AccountEntity,
  ApiKeyEntity,
  MembershipEntity,
  ModelPriceEntity,
  OrganizationEntity,
  PricingGroupEntity,
  RetiredSecretEntity,
  TierEntity,
};

export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  MembershipEntity,
  ModelPriceEntity,
  OrganizationEntity,
  PricingGroupEntity,
  RetiredSecretEntity,
  TierEntity,
];
