// `node dist/cli/migrate.js`: creates the database if needed and applies key-service's migrations.
// Run by `npm start`/`npm test`, and as a Job or init container in docker-compose and k8s.
import 'reflect-metadata';
import { ensureDatabase, migrate } from '@gw/platform';
import { KEYS_SCHEMA, keysDataSource } from '../db/data-source.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('key-service migrate: DATABASE_URL is required');
  process.exit(1);
}
await ensureDatabase(url);
const ds = await keysDataSource(url, 1).initialize();
try {
  const applied = await migrate(ds, KEYS_SCHEMA);
  console.error(`key-service: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
} finally {
  await ds.destroy();
}
