// One round trip for every limit of a request (DESIGN step 5). All keys share the owner's hash tag, so the
// scripts are valid on Redis Cluster. Nothing is counted or reserved unless every limit passes.
import { RELEASE_RESERVATION_LUA } from '@gw/platform';

// Rate limits: sliding windows (previous minute weighted + current minute) for the owner's tier RPM, the
// key's RPM and the key's TPM. Quota: the key's spend in its period and the owner's lifetime spend (kept by
// metering), plus open reservations, plus this request's worst case must stay within each limit; then the
// worst case is reserved under the request id until the gateway settles it and metering counts it, or its
// expiry passes (a request that died). Expired reservations are released here, a few per call.
//
// KEYS: tierCur, tierPrev, keyCur, keyPrev, tokCur, tokPrev, keySpent, ownerSpent, reservations, expiries
// ARGV: elapsedMsInWindow, windowMs, tierRpm, keyRpm, keyTpm, tokens   (a rate limit of 0 = none)
//       nowMs, reserve (-1 = no quota step), keyLimit, ownerLimit (-1 = none), requestId, keyId, expiresAtMs
// Returns: {allowed(1|0), failed(0 none|1 tier|2 key rpm|3 tpm|4 key quota|5 owner credit), limit, remaining,
//           tokLimit, tokRemaining, resetOrRetryMs, exhausted(1 = spend alone reached the limit)}
export const LIMITS_LUA = `${RELEASE_RESERVATION_LUA}
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local weight = (window - elapsed) / window
local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
local costs = { 1, 1, tonumber(ARGV[6]) }
local used = {}
for i = 1, 3 do
  if limits[i] > 0 then
    local cur = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local prev = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    used[i] = prev * weight + cur
    if used[i] + costs[i] > limits[i] then
      local excess = used[i] + costs[i] - limits[i]
      local retry = window - elapsed
      if prev > 0 then retry = math.min(retry, math.ceil(excess * window / prev)) end
      return { 0, i, limits[i], 0, 0, 0, math.max(retry, 1), 0 }
    end
  end
end
local reserve = tonumber(ARGV[8])
if reserve >= 0 then
  local now = tonumber(ARGV[7])
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now, 'LIMIT', 0, 20)) do
    release(KEYS[9], KEYS[10], id)
  end
  local checks = { { tonumber(ARGV[9]), KEYS[7], 'k:' .. ARGV[12], 4 }, { tonumber(ARGV[10]), KEYS[8], 'o', 5 } }
  for _, c in ipairs(checks) do
    if c[1] >= 0 then
      local spent = tonumber(redis.call('GET', c[2]) or '0')
      local held = tonumber(redis.call('HGET', KEYS[9], c[3]) or '0')
      if spent >= c[1] then return { 0, c[4], c[1], 0, 0, 0, 0, 1 } end
      if spent + held + reserve > c[1] then return { 0, c[4], c[1], c[1] - spent - held, 0, 0, 0, 0 } end
    end
  end
end
local reqLimit, reqRemaining, tokLimit, tokRemaining = 0, -1, 0, -1
for i = 1, 3 do
  if limits[i] > 0 then
    redis.call('INCRBY', KEYS[2 * i - 1], costs[i])
    redis.call('PEXPIRE', KEYS[2 * i - 1], window * 2)
    local remaining = math.floor(limits[i] - used[i] - costs[i])
    if i < 3 then
      if reqRemaining < 0 or remaining < reqRemaining then reqLimit, reqRemaining = limits[i], remaining end
    else
      tokLimit, tokRemaining = limits[i], remaining
    end
  end
end
if reserve > 0 then
  redis.call('HSET', KEYS[9], 'r:' .. ARGV[11], ARGV[8] .. ':' .. ARGV[12])
  redis.call('HINCRBY', KEYS[9], 'k:' .. ARGV[12], ARGV[8])
  redis.call('HINCRBY', KEYS[9], 'o', ARGV[8])
  redis.call('ZADD', KEYS[10], tonumber(ARGV[13]), ARGV[11])
end
return { 1, 0, reqLimit, reqRemaining, tokLimit, tokRemaining, window - elapsed, 0 }
`;

// Settles a reservation at the request's real cost, kept until metering counts that cost (which releases
// it) or until expiresAtMs. A reservation already released (metering was first, or it expired) stays so.
// KEYS: reservations, expiries   ARGV: requestId, costMicros, expiresAtMs
export const SETTLE_LUA = `
local v = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if not v then return 0 end
local sep = string.find(v, ':', 1, true)
local diff = string.format('%d', tonumber(ARGV[2]) - tonumber(string.sub(v, 1, sep - 1)))
local keyId = string.sub(v, sep + 1)
redis.call('HINCRBY', KEYS[1], 'k:' .. keyId, diff)
redis.call('HINCRBY', KEYS[1], 'o', diff)
redis.call('HSET', KEYS[1], 'r:' .. ARGV[1], ARGV[2] .. ':' .. keyId)
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return 1
`;
