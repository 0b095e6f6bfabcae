import { createDataSource } from '@gw/platform';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

export const KEYS_SCHEMA = 'keys';

export function keysDataSource(url: string, poolSize?: number) {
  return createDataSource({ url, schema: KEYS_SCHEMA, entities: ENTITIES, migrations: MIGRATIONS, poolSize });
}
