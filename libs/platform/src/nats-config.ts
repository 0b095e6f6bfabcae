// A service's NATS connection settings: servers, its own identity (password, nkey or creds file), optional
// TLS and the inbox prefix its identity may subscribe to. Validated at start with the rest of its config.
import { existsSync, readFileSync } from 'node:fs';
import { type NatsIdentityName, natsInboxPrefix } from '@gw/contracts';
import {
  type ConnectionOptions,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
} from '@nats-io/nats-core';
import { z } from 'zod';
import { env } from './config.js';

const file = z
  .string()
  .min(1)
  .refine((f) => existsSync(f), 'no such file')
  .optional();

/** Spread into a service's environment schema. */
export const natsEnv = {
  /** nats:// (or tls://) URLs of the NATS servers, comma-separated. */
  NATS_URL: env.natsUrl,
  /** This service's NATS identity (deploy/nats/auth.conf); one of user+password, an NKey seed or a creds file. */
  NATS_USER: z.string().min(1).optional(),
  /** The password of NATS_USER. */
  NATS_PASSWORD: z.string().min(1).optional(),
  /** Instead of a password: a file holding this identity's NKey seed. */
  NATS_NKEY_SEED_FILE: file,
  /** Instead of a password: a .creds file (JWT and seed) of this identity. */
  NATS_CREDS_FILE: file,
  /** TLS to NATS: the CA certificate that signed the servers' certificates. */
  NATS_TLS_CA_FILE: file,
  /** TLS to NATS: this client's certificate, for servers that verify clients. */
  NATS_TLS_CERT_FILE: file,
  /** TLS to NATS: the key of NATS_TLS_CERT_FILE. */
  NATS_TLS_KEY_FILE: file,
  /** Where this identity's replies arrive; the server lets it subscribe to `<prefix>.>` only. */
  NATS_INBOX_PREFIX: z
    .string()
    .regex(/^_INBOX\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, '_INBOX.<name>')
    .optional(),
};

type NatsEnv = z.output<z.ZodObject<typeof natsEnv>>;

export interface NatsConnectionConfig {
  servers: string[];
  user?: string;
  password?: string;
  nkeySeedFile?: string;
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  inboxPrefix: string;
}

/** For a schema's transform: the connection settings, or issues that name what is missing or clashing. */
export function natsConnection(
  e: NatsEnv,
  identity: NatsIdentityName,
  ctx: z.RefinementCtx,
): NatsConnectionConfig {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const methods = [
    (e.NATS_USER || e.NATS_PASSWORD) && 'NATS_USER/NATS_PASSWORD',
    e.NATS_NKEY_SEED_FILE && 'NATS_NKEY_SEED_FILE',
    e.NATS_CREDS_FILE && 'NATS_CREDS_FILE',
  ].filter(Boolean);
  if (!methods.length)
    issue(
      'NATS_USER',
      'give this service its NATS identity: NATS_USER and NATS_PASSWORD, NATS_NKEY_SEED_FILE or NATS_CREDS_FILE',
    );
  else if (methods.length > 1) issue('NATS_USER', `one NATS identity only, not ${methods.join(' and ')}`);
  else if (!!e.NATS_USER !== !!e.NATS_PASSWORD)
    issue('NATS_PASSWORD', 'NATS_USER and NATS_PASSWORD go together');
  if (!!e.NATS_TLS_CERT_FILE !== !!e.NATS_TLS_KEY_FILE)
    issue('NATS_TLS_KEY_FILE', 'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together');
  const tls =
    e.NATS_TLS_CA_FILE || e.NATS_TLS_CERT_FILE
      ? { caFile: e.NATS_TLS_CA_FILE, certFile: e.NATS_TLS_CERT_FILE, keyFile: e.NATS_TLS_KEY_FILE }
      : undefined;
  return {
    servers: e.NATS_URL.split(',').map((s) => s.trim()),
    user: e.NATS_USER,
    password: e.NATS_PASSWORD,
    nkeySeedFile: e.NATS_NKEY_SEED_FILE,
    credsFile: e.NATS_CREDS_FILE,
    tls,
    inboxPrefix: e.NATS_INBOX_PREFIX ?? natsInboxPrefix(identity),
  };
}

/** The client library's options for these settings (files are read here, at connect). */
export function natsConnectOptions(c: NatsConnectionConfig): ConnectionOptions {
  let authenticator: Authenticator | undefined;
  if (c.nkeySeedFile)
    authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(c.nkeySeedFile, 'utf8').trim()));
  else if (c.credsFile) authenticator = credsAuthenticator(new Uint8Array(readFileSync(c.credsFile)));
  return {
    servers: c.servers,
    user: c.user,
    pass: c.password,
    authenticator,
    tls: c.tls,
    inboxPrefix: c.inboxPrefix,
  };
}
