// Where the local stack keeps its state, and the fixed ports of DESIGN "Public surfaces".
import { fileURLToPath } from 'node:url';
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
  postgres: 55432,
  redis: 56379,
  nats: 54222,
  natsMonitor: 58222,
};

export const HOST = '127.0.0.1';
