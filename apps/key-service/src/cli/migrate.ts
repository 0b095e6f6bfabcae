// `node dist/cli/migrate.js`: creates the database if needed and applies key-service's migrations.
// Run by `npm start`/`npm test`, and as a Job or init container in docker-compose and k8s.
import 'reflect-metadata';
import { migrateFromEnv } from '@gw/platform';
import { KEYS_SCHEMA, keysDataSource } from '../db/data-source.js';

await migrateFromEnv('key-service', (url) => keysDataSource(url, 1), KEYS_SCHEMA);
