// Lua scripts called through ioredis with their key count fixed per defined command. Without it ioredis sends
// the count as the first argument, and its autopipelining on a Redis Cluster groups commands by their first
// argument: scripts of different owners (different slots) then shared one pipeline, which the cluster client
// refuses. A script whose key count varies gets one command per count (EVALSHA of the same script).
import type { RedisClient } from './redis.js';

const defined = new WeakMap<RedisClient, Set<string>>();

export function evalScript<T>(
  redis: RedisClient,
  name: string,
  lua: string,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  const command = `${name}_${keys.length}`;
  let names = defined.get(redis);
  if (!names) defined.set(redis, (names = new Set()));
  if (!names.has(command)) {
    redis.defineCommand(command, { numberOfKeys: keys.length, lua });
    names.add(command);
  }
  const call = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<T>>)[command];
  return call.call(redis, ...keys, ...args);
}
