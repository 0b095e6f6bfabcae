// Scripts by EVALSHA with EVAL when the server does not have them, sent with the turn's other commands or at
// once (`now`): either way the caller gets the same reply, typed as evalsha's (numbers and text).
import { randomUUID } from 'node:crypto';
import { evalScript } from '../src/redis-script.js';
import { createRedis, redisReady } from '../src/redis.js';

const redis = createRedis(process.env.REDIS_URL!, 'test-scripts');
beforeAll(async () => expect(await redisReady(redis)).toBe(true));
afterAll(() => redis.disconnect());

// A script no other test loads (its text is new each run), so the first call meets NOSCRIPT.
const lua = () => `-- ${randomUUID()}
redis.call('INCRBY', KEYS[1], ARGV[1])
return { tonumber(redis.call('GET', KEYS[1])), ARGV[2], KEYS[1] }`;

describe.each([false, true])('evalScript, now: %s', (now) => {
  it('answers numbers and text, loading the script the first time', async () => {
    const key = `test:script:${randomUUID()}`;
    const script = lua();
    try {
      expect(await evalScript(redis, script, [key], [5, 'five'], { now })).toEqual([5, 'five', key]);
      // Cached on the server now: EVALSHA alone.
      expect(await evalScript(redis, script, [key], [2, 'two'], { now })).toEqual([7, 'two', key]);
    } finally {
      await redis.del(key);
    }
  });

  it('passes the script error on', async () => {
    await expect(
      evalScript(redis, `return redis.call('INCR', KEYS[1], 'x')`, ['k'], [], { now }),
    ).rejects.toThrow(/wrong number of arguments|ERR/);
  });
});
