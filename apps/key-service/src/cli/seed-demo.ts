// `node dist/cli/seed-demo.js`: the demo account and its demo key, idempotently. Prints one JSON line with
// DEMO_ACCOUNT_ID, DEMO_KEY_ID and DEMO_KEY; keeps a DEMO_KEY from the environment while it still works.
// With DEMO_OIDC_SUBJECT (and OIDC_ISSUER), that person of the provider signs in to the console as the demo
// account.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { unwrap, createLogger } from '@gw/platform';
import { AccessService } from '../access/access.service.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { KeyServiceModule } from '../app.module.js';
import { loadKeyServiceConfig } from '../config.js';
import { KeysService } from '../keys/keys.service.js';

export const DEMO_ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';
const DEMO_KEY_NAME = 'demo';

const config = loadKeyServiceConfig();
const logger = createLogger('key-service-seed', 'warn');
const app = await NestFactory.createApplicationContext(KeyServiceModule.forRoot({ config, logger }), {
  logger: false,
});
try {
  const owners = app.get(OwnersRepository);
  const access = app.get(AccessService);
  const keys = app.get(KeysService);
  if (!(await owners.accounts.existsBy({ id: DEMO_ACCOUNT_ID }))) {
    await owners.accounts.insert({
      id: DEMO_ACCOUNT_ID,
      name: 'Demo account',
      tier: 'pro',
      status: 'active',
    });
  }
  const operator = { kind: 'operator', origin: { via: 'cli', requestId: null, address: null } } as const;
  const owner = { type: 'account', id: DEMO_ACCOUNT_ID } as const;
  const given = process.env.DEMO_KEY;
  let key = given;
  let keyId: string | undefined;
  const current = given ? await access.fromBearer(`Bearer ${given}`, operator.origin) : undefined;
  if (current?.ok && current.value.kind === 'principal' && current.value.keyId) {
    keyId = current.value.keyId;
  } else {
    const page = unwrap(
      await keys.list(operator, { limit: 100, ownerType: 'account', ownerId: DEMO_ACCOUNT_ID }),
    );
    const existing = page.data.find((k) => k.name === DEMO_KEY_NAME);
    const made = existing
      ? unwrap(await keys.regenerate(operator, existing.id, {}))
      : unwrap(await keys.create(operator, { name: DEMO_KEY_NAME, owner, permissions: ['read', 'write'] }));
    if (existing && made.status !== 'active')
      unwrap(await keys.update(operator, made.id, { enabled: true, expiresAt: null }));
    key = made.key;
    keyId = made.id;
  }
  // The development provider's demo person signs in to the console as the demo account (npm start's stack).
  const subject = process.env.DEMO_OIDC_SUBJECT;
  if (subject && config.consoleAuth) {
    await owners.accounts.manager.query(
      `INSERT INTO keys.sign_in_identities (issuer, subject, account_id) VALUES ($1, $2, $3)
         ON CONFLICT (issuer, subject) DO UPDATE SET account_id = EXCLUDED.account_id`,
      [config.consoleAuth.issuer, subject, DEMO_ACCOUNT_ID],
    );
  }
  process.stdout.write(JSON.stringify({ DEMO_ACCOUNT_ID, DEMO_KEY_ID: keyId, DEMO_KEY: key }) + '\n');
} finally {
  await app.close();
}
