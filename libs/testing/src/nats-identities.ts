// Tests act as one of the stack's NATS identities (credentials from .stack/env): the server refuses anonymous
// clients, and each identity may publish and subscribe only what deploy/nats/auth.conf allows it.
import { type NatsIdentityName, natsIdentity, natsInboxPrefix } from '@gw/contracts';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';

/** The settings a service would be given for this identity (NatsClient's NatsConnectionConfig shape). */
export function natsIdentityConfig(name: NatsIdentityName, servers = process.env.NATS_URL!) {
  const { envName } = natsIdentity(name);
  const user = process.env[`NATS_${envName}_USER`];
  const password = process.env[`NATS_${envName}_PASSWORD`];
  if (!user || !password) throw new Error(`NATS_${envName}_USER/PASSWORD are not set (.stack/env)`);
  return { servers: servers.split(','), user, password, inboxPrefix: natsInboxPrefix(name) };
}

export function natsOptions(name: NatsIdentityName, servers?: string): ConnectionOptions {
  const c = natsIdentityConfig(name, servers);
  return { servers: c.servers, user: c.user, pass: c.password, inboxPrefix: c.inboxPrefix };
}

export const connectAs = (name: NatsIdentityName, servers?: string) => connect(natsOptions(name, servers));

/** The identity each app connects as (scripts/stack/services.mjs gives the same to `npm start`'s). */
const APP_IDENTITIES: Record<string, NatsIdentityName> = {
  'key-service': 'key-service',
  'auth-service': 'auth-service',
  'gateway-service': 'gateway',
  'metering-service': 'metering',
};

/** NATS_USER/NATS_PASSWORD for an app started as a process by a test. */
export function serviceNatsEnv(app: string): Record<string, string> {
  const identity = APP_IDENTITIES[app];
  if (!identity) return {};
  const c = natsIdentityConfig(identity);
  return { NATS_USER: c.user, NATS_PASSWORD: c.password };
}
