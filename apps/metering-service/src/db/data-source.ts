import { createDataSource } from '@gw/platform';
import { InitMeteringSchema1763900000000 } from './migrations/1763900000000-init-metering-schema.js';
import { UsageCost1764000000000 } from './migrations/1764000000000-usage-cost.js';

export const METERING_SCHEMA = 'metering';

export function meteringDataSource(url: string, poolSize?: number) {
  return createDataSource({
    url,
    schema: METERING_SCHEMA,
    entities: [],
    migrations: [InitMeteringSchema1763900000000, UsageCost1764000000000],
    poolSize,
  });
}
