// The services' NATS handlers (@MessagePattern / @EventPattern on their controllers) run on Nest's
// microservices transport, with the wire format and contract checks of @gw/nats-transport, on the process's
// one NATS connection (NatsClient: its identity, its reconnects). Started before the HTTP port listens.
import { ContractNatsServer, type DirectHandler } from '@gw/nats-transport';
import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { counter } from './metrics.js';
import { NatsClient } from './nats-client.js';

const invalidMessages = counter(
  'nats_invalid_messages_total',
  'NATS messages refused or dropped before any handler: not JSON, or not the shape of their contract',
  ['subject'],
);

/** `direct`: the app's hot request handlers that skip Nest's handler chain (ContractServerOptions.direct). */
export type DirectHandlers = (app: INestApplication) => readonly DirectHandler[];

export async function startNatsHandlers(app: INestApplication, logger: Logger, direct?: DirectHandlers) {
  const nats = app.get(NatsClient);
  app.connectMicroservice(
    {
      strategy: new ContractNatsServer({
        connection: () => nats.connection,
        direct: () => direct?.(app) ?? [],
        onInvalid: (channel, subject, error) => {
          // Labelled by the subscription (a wildcard's messages could name unbounded subjects).
          invalidMessages.inc({ subject: channel });
          logger.warn({ subject, error: error.message }, 'ignored an invalid NATS message');
        },
      }),
    },
    // Not the HTTP app's global filters and pipes: these handlers answer in the NATS reply format.
    { inheritAppConfig: false },
  );
  await app.startAllMicroservices();
}
