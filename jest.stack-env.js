// Tests talk to the real servers `npm start`/`npm test` bring up: load .stack/env for a bare `npx jest` too.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { NATS_IDENTITY_OF } from './scripts/stack/services.mjs';

const file = new URL('./.stack/env', import.meta.url);
if (existsSync(file)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && process.env[line.slice(0, i)] === undefined)
      process.env[line.slice(0, i)] = line.slice(i + 1);
  }
}

// A service started in-process by its own workspace's tests connects to NATS as that service's identity
// (deploy/nats/auth.conf), as `npm start` would run it.
const identity = NATS_IDENTITY_OF[basename(process.cwd())];
if (identity && process.env.NATS_USER === undefined) {
  process.env.NATS_USER = process.env[`NATS_${identity}_USER`];
  process.env.NATS_PASSWORD = process.env[`NATS_${identity}_PASSWORD`];
}
