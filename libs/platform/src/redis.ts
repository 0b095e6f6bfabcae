// ioredis with DESIGN's failure policy: short command timeout, no offline queue (fail fast, never pile up).
import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    commandTimeout: 250,
    connectTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    lazyConnect: false,
  });
}
