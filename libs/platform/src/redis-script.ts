// Lua scripts by EVALSHA (EVAL when the server has not cached the script yet). Called as evalsha/eval rather
// than ioredis's defineCommand: a script's own command puts its key count first, and autopipelining on a
// Redis Cluster groups commands by their first argument, so scripts of different owners (different slots)
// shared one pipeline, which the cluster client refuses; evalsha's keys are known to ioredis. It also keeps no
// per-key-count command around (every pipeline copies the defined commands).
import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';

const shas = new Map<string, string>();

export async function evalScript<T>(
  redis: RedisClient,
  lua: string,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  let sha = shas.get(lua);
  if (!sha) shas.set(lua, (sha = createHash('sha1').update(lua).digest('hex')));
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return (await redis.eval(lua, keys.length, ...keys, ...args)) as T;
  }
}
