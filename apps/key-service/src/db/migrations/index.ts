import { InitKeysSchema1763800000000 } from './1763800000000-init-keys-schema.js';
import { AuditWebhooksTenancy1764900000000 } from './1764900000000-audit-webhooks-tenancy.js';
import { SignInIdentities1765000000000 } from './1765000000000-sign-in-identities.js';
import { ConsoleProvisioning1765100000000 } from './1765100000000-console-provisioning.js';

/** In order. Listed explicitly: ESM builds have no reliable glob loading. */
export const MIGRATIONS = [
  InitKeysSchema1763800000000,
  AuditWebhooksTenancy1764900000000,
  SignInIdentities1765000000000,
  ConsoleProvisioning1765100000000,
];
