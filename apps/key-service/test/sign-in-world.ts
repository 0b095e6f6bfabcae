// Console sign-in tests' world: the development identity provider as a process, knowing one person and the
// console client for the given key-service ports, and key-services signing in through it.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type RunningService, startService } from '@gw/testing';
import type { KeyServiceConfig } from '../src/config.js';
import { type KeyService, startKeyService } from './harness.js';

/** The console's built files (turbo builds @gw/console before these tests). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

type ConsoleAuth = NonNullable<KeyServiceConfig['consoleAuth']>;

export interface SignInWorld {
  idp: RunningService;
  username: string;
  password: string;
  /** A key-service on `port` (one of those given) signing in through the provider; `extra` changes settings. */
  keyService(port: number, extra?: Partial<ConsoleAuth>): Promise<KeyService>;
}

export async function startSignInWorld(ports: number[], groups = 'team-a'): Promise<SignInWorld> {
  const username = `person-${randomUUID().slice(0, 8)}`;
  const password = `password-${randomUUID()}`;
  const client = { id: 'console-test', secret: 'console-test-secret-0123456789' };
  const callback = (port: number) => `http://127.0.0.1:${port}/auth/callback`;
  const idp = await startService('dev-idp', {
    DEMO_USER: username,
    DEMO_PASSWORD: password,
    DEMO_GROUPS: groups,
    OIDC_CLIENT_ID: client.id,
    OIDC_CLIENT_SECRET: client.secret,
    OIDC_REDIRECT_URIS: ports.map(callback).join(','),
  });
  return {
    idp,
    username,
    password,
    keyService: (port, extra = {}) =>
      startKeyService({
        overrides: {
          port,
          adminPort: 0,
          redis: { url: process.env.REDIS_URL! },
          consoleDir: CONSOLE_DIR,
          consoleAuth: {
            issuer: idp.url,
            clientId: client.id,
            clientSecret: client.secret,
            redirectUri: callback(port),
            scopes: 'openid profile email groups',
            groupsClaim: 'groups',
            operatorGroup: undefined,
            allowedGroup: undefined,
            defaultTier: 'free',
            sessionTtlMs: 3_600_000,
            ...extra,
          },
        },
      }),
  };
}
