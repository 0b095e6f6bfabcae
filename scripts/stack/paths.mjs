// Where the local stack keeps its state, and the fixed ports of DESIGN "Public surfaces".
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STACK = join(ROOT, '.stack');
export const LOGS = join(STACK, 'logs');
export const PIDS = join(STACK, 'pids');
export const ENV_FILE = join(STACK, 'env');
export const SECRETS_FILE = join(STACK, 'secrets.json');

export const PORTS = {
  gateway: 8080,
  keyService: 8081,
  authService: 8082,
  meteringService: 8083,
  demoUpstream: 8089,
  devIdp: 8090,
  // Each service's admin port (/healthz, /readyz, /metrics, /docs): its public port + 1000.
  gatewayAdmin: 9080,
  keyServiceAdmin: 9081,
  authServiceAdmin: 9082,
  meteringServiceAdmin: 9083,
  postgres: 55432,
  redis: 56379,
  nats: 54222,
  natsMonitor: 58222,
};

export const HOST = '127.0.0.1';

export const NATS_CONFIG = join(ROOT, 'deploy', 'nats', 'nats-server.conf');

/**
 * The NATS identities of deploy/nats/auth.conf (rendered from libs/contracts' table): each user's name and the
 * NAME of its NATS_<NAME>_PASSWORD. Read from the file because the stack runs before anything is built.
 */
export const NATS_IDENTITIES = [
  ...readFileSync(join(ROOT, 'deploy', 'nats', 'auth.conf'), 'utf8').matchAll(
    /user: "([^"]+)"\s+password: \$NATS_([A-Z_]+)_PASSWORD/g,
  ),
].map(([, name, envName]) => ({ name, envName }));
