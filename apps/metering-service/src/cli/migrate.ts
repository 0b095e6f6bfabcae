// `node dist/cli/migrate.js`: creates the database if needed and applies metering-service's migrations.
import 'reflect-metadata';
import { migrateFromEnv } from '@gw/platform';
import { METERING_SCHEMA, meteringDataSource } from '../db/data-source.js';

await migrateFromEnv('metering-service', (url) => meteringDataSource(url, 1), METERING_SCHEMA);
