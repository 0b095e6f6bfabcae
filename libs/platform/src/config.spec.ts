import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config.js';

const Schema = z.object({
  PORT: env.port(8080),
  NATS_URL: env.natsUrl,
  REDIS_URL: env.redisUrl,
  LOG_LEVEL: env.logLevel,
});

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    expect(
      loadConfig('svc', Schema, { NATS_URL: 'nats://a:1,nats://b:2', REDIS_URL: 'redis://r:6379' }),
    ).toEqual({
      PORT: 8080,
      NATS_URL: 'nats://a:1,nats://b:2',
      REDIS_URL: 'redis://r:6379',
      LOG_LEVEL: 'info',
    });
    expect(
      loadConfig('svc', Schema, { PORT: '9', NATS_URL: 'nats://a:1', REDIS_URL: 'rediss://r' }).PORT,
    ).toBe(9);
  });

  it('names every bad variable in one clear error', () => {
    const attempt = () => loadConfig('svc', Schema, { PORT: 'x', NATS_URL: 'http://a', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /svc: invalid configuration:\n {2}PORT: .*\n {2}NATS_URL: must be nats:\/\/ URLs.*\n {2}REDIS_URL: .*\n {2}LOG_LEVEL: /,
    );
  });
});
