// The Redis client fails fast instead of queueing when the server is unreachable (DESIGN failure policy).
import { createRedis, redisReady } from '../src/redis.js';

describe('createRedis', () => {
  it('talks to the stack Redis', async () => {
    const redis = createRedis(process.env.REDIS_URL!, 'test');
    try {
      expect(await redisReady(redis)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('rejects at once, without an offline queue, when Redis is down', async () => {
    const redis = createRedis('redis://127.0.0.1:1', 'test-dead');
    try {
      expect(await redisReady(redis, 300)).toBe(false);
      const started = Date.now();
      await expect(redis.get('x')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(100);
    } finally {
      redis.disconnect();
    }
  });
});
