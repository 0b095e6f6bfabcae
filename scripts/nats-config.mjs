#!/usr/bin/env node
// Renders deploy/nats/auth.conf from the identity table in libs/contracts (built first by `npm run nats:config`).
import { writeFileSync } from 'node:fs';
import { renderNatsAuthorization } from '../libs/contracts/dist/index.js';

const file = new URL('../deploy/nats/auth.conf', import.meta.url);
writeFileSync(file, renderNatsAuthorization());
console.log(`wrote ${file.pathname}`);
