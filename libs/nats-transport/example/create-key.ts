// Example: another team's Nest app creates a key for one of its accounts over NATS, with Nest's ClientProxy
// (our typed InternalNatsClient). It connects as the `internal` NATS identity (credentials from the
// environment; `set -a; . .stack/env` on a local stack). Subjects, payloads and reply types come from
// @gw/contracts: a wrong payload does not compile, a refused request rejects with a RemoteError.
import { Inject, Injectable, Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { GATEWAY_NATS, gatewayNatsClient, type InternalNatsClient } from '../src/index.js';

@Injectable()
export class Onboarding {
  constructor(@Inject(GATEWAY_NATS) private readonly gateway: InternalNatsClient) {}

  /** A key for a new account's first app, valid 30 days, read-only management rights. */
  firstKey(accountId: string) {
    return this.gateway.call('keys.create', {
      actor: { type: 'operator' },
      input: {
        name: `onboarding-${Date.now()}`,
        owner: { type: 'account', id: accountId },
        permissions: ['read'],
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
    });
  }
}

@Module({
  imports: [
    ClientsModule.register([
      gatewayNatsClient({
        servers: process.env.NATS_URL,
        user: process.env.NATS_INTERNAL_USER,
        pass: process.env.NATS_INTERNAL_PASSWORD,
        inboxPrefix: '_INBOX.internal',
      }),
    ]),
  ],
  providers: [Onboarding],
})
export class OnboardingModule {}

/** `node dist/…/create-key.js <accountId>` style entry: prints the new key's id (the secret is shown once). */
export async function main(accountId: string) {
  const app = await NestFactory.createApplicationContext(OnboardingModule, { logger: false });
  try {
    const key = await app.get(Onboarding).firstKey(accountId);
    return { id: key.id, secret: key.key };
  } finally {
    await app.close();
  }
}
