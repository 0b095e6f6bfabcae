import { type DynamicModule, Module } from '@nestjs/common';
import { createKeyFormat } from '@gw/key-format';
import { Connections, HealthModule, type Logger, natsProvider, redisProvider } from '@gw/platform';
import { type AuthConfig, CONFIG, LOGGER } from './config.js';
import { CacheEvictionListener } from './verify/cache-eviction.listener.js';
import { RecordCache } from './verify/record-cache.js';
import { VerifyRpc } from './verify/verify.rpc.js';
import { KEY_FORMAT, VerifyService } from './verify/verify.service.js';

/** auth-service: the verdict on a presented key (NATS auth.verify), with a Redis cache of key records. */
@Module({})
export class AuthServiceModule {
  static forRoot(config: AuthConfig, logger: Logger): DynamicModule {
    return {
      module: AuthServiceModule,
      imports: [HealthModule],
      controllers: [CacheEvictionListener],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KEY_FORMAT, useValue: createKeyFormat(config.keyPrefix) },
        natsProvider('auth-service'),
        redisProvider('auth-service'),
        Connections,
        RecordCache,
        VerifyService,
        VerifyRpc,
      ],
    };
  }
}
