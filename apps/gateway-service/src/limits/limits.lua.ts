// One round trip for every limit of a request (DESIGN step 5). All keys share the owner's hash tag, so the
// scripts are valid on Redis Cluster. Nothing is counted or reserved unless every limit passes.
import { RELEASE_RESERVATION_LUA } from '@gw/platform';

// Rate limits: sliding windows (previous minute weighted + current minute) for the owner's tier RPM, the
// key's RPM and the key's TPM. Quota: the key's spend in its period and the owner's lifetime spend (kept by
// metering), plus open reservations, plus this request's worst case must stay within each limit; then the
// worst case is reserved under the request id until the gateway settles it and metering counts it, or its
// expiry passes (a request that died). Expired reservations are released here when they stand in the way of
// a request, and a few now and then (one call in 64). Redis CPU is counted per request (issue #14): one MGET
// for every counter, one HMGET for what is held, a window's expiry set only when the window is created.
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
local reserve = tonumber(ARGV[8])
local keyField = 'k:' .. ARGV[12]
-- Every counter in one read: the three windows (current, previous), then the key's and the owner's spend.
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
local used = {}
for i = 1, 3 do
  if limits[i] > 0 then
    local cur = tonumber(v[2 * i - 1] or '0')
    local prev = tonumber(v[2 * i] or '0')
    used[i] = prev * weight + cur
    if used[i] + costs[i] > limits[i] then
      local excess = used[i] + costs[i] - limits[i]
      local retry = window - elapsed
      if prev > 0 then retry = math.min(retry, math.ceil(excess * window / prev)) end
      return { 0, i, limits[i], 0, 0, 0, math.max(retry, 1), 0 }
    end
  end
end
if reserve >= 0 then
  local now = tonumber(ARGV[7])
  local checks = { { tonumber(ARGV[9]), v[7], 1, 4 }, { tonumber(ARGV[10]), v[8], 2, 5 } }
  local function refusal(held)
    for _, c in ipairs(checks) do
      if c[1] >= 0 then
        local spent = tonumber(c[2] or '0')
        local h = tonumber(held[c[3]] or '0')
        if spent >= c[1] then return { 0, c[4], c[1], 0, 0, 0, 0, 1 } end
        if spent + h + reserve > c[1] then return { 0, c[4], c[1], c[1] - spent - h, 0, 0, 0, 0 } end
      end
    end
    return nil
  end
  -- Reservations whose requests died are freed when they would refuse this one, and now and then (memory).
  local function expired()
    return redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now, 'LIMIT', 0, 100)
  end
  if now % 64 == 0 then releaseMany(KEYS[9], KEYS[10], expired()) end
  local refused = refusal(redis.call('HMGET', KEYS[9], keyField, 'o'))
  if refused and refused[8] == 0 then
    local ids = expired()
    if #ids > 0 then
      releaseMany(KEYS[9], KEYS[10], ids)
      refused = refusal(redis.call('HMGET', KEYS[9], keyField, 'o'))
    end
  end
  if refused then return refused end
end
local reqLimit, reqRemaining, tokLimit, tokRemaining = 0, -1, 0, -1
for i = 1, 3 do
  if limits[i] > 0 then
    -- A window's expiry is set when it is created (its first increment), not on every request.
    if redis.call('INCRBY', KEYS[2 * i - 1], costs[i]) == costs[i] then
      redis.call('PEXPIRE', KEYS[2 * i - 1], window * 2)
    end
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
  redis.call('HINCRBY', KEYS[9], keyField, ARGV[8])
  redis.call('HINCRBY', KEYS[9], 'o', ARGV[8])
  redis.call('ZADD', KEYS[10], tonumber(ARGV[13]), ARGV[11])
end
return { 1, 0, reqLimit, reqRemaining, tokLimit, tokRemaining, window - elapsed, 0 }
`;

// Settles reservations at their requests' real costs, kept until metering counts those costs (which releases
// them) or until expiresAtMs. A reservation already released (metering was first, or it expired) stays so.
// One call per owner for a gateway's settles of a few milliseconds: the totals move once per key and once
// for the owner, and every expiry in one ZADD.
// KEYS: reservations, expiries   ARGV: expiresAtMs, then requestId, costMicros pairs
export const SETTLE_LUA = `
local expires = ARGV[1]
local byKey = {}
local owner = 0
local zadd = {}
for i = 2, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], 'r:' .. ARGV[i])
  if v then
    local sep = string.find(v, ':', 1, true)
    local keyId = string.sub(v, sep + 1)
    local diff = tonumber(ARGV[i + 1]) - tonumber(string.sub(v, 1, sep - 1))
    byKey[keyId] = (byKey[keyId] or 0) + diff
    owner = owner + diff
    redis.call('HSET', KEYS[1], 'r:' .. ARGV[i], ARGV[i + 1] .. ':' .. keyId)
    zadd[#zadd + 1] = expires
    zadd[#zadd + 1] = ARGV[i]
  end
end
for keyId, diff in pairs(byKey) do
  redis.call('HINCRBY', KEYS[1], 'k:' .. keyId, string.format('%d', diff))
end
if #zadd > 0 then
  redis.call('HINCRBY', KEYS[1], 'o', string.format('%d', owner))
  redis.call('ZADD', KEYS[2], unpack(zadd))
end
return #zadd / 2
`;
