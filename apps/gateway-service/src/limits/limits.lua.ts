// One round trip for every limit of a request (DESIGN step 5). All keys share the owner's hash tag, so the
// script is valid on Redis Cluster. Nothing is counted or held unless every limit passes.

// Rate limits: sliding windows (previous minute weighted + current minute) for the owner's tier RPM, the
// key's RPM and the key's TPM. Quota: the key's spend in its period and the owner's lifetime spend (kept by
// metering), plus what is held for requests not counted yet, plus this request's worst case must stay within
// each limit; then the worst case is held in the current bucket (HOLD_BUCKET_MS in @gw/contracts) of the key
// and of the owner, until metering counts the request (it subtracts it) or the bucket expires (a request that
// died). The bucket after the current one is read too: a replica whose clock (or whose request) is a little
// ahead may already hold there. A bucket's generation, set when its first hold is taken, goes back with the
// hold: metering releases only into the same generation, so a release for holds Redis lost (a restart
// without persistence) never eats holds taken since. Redis CPU is counted per request (issue #14): one MGET
// for every counter and hold, one increment per rate window and two for the hold, an expiry set only when a
// key is created.
//
// KEYS: tierCur, tierPrev, keyCur, keyPrev, tokCur, tokPrev, keySpent, ownerSpent,
//       the key's holds (oldest bucket read … current, next), the owner's holds (same buckets),
//       the current bucket's generation
// ARGV: elapsedMsInWindow, windowMs, tierRpm, keyRpm, keyTpm, tokens   (a rate limit of 0 = none)
//       reserve (-1 = no quota step), keyLimit, ownerLimit (-1 = none), buckets read, hold expiry (ms from now),
//       a new generation (used if the bucket has none)
// Returns: {allowed(1|0), failed(0 none|1 tier|2 key rpm|3 tpm|4 key quota|5 owner credit), limit, remaining,
//           tokLimit, tokRemaining, resetOrRetryMs, exhausted(1 = spend alone reached the limit), generation}
export const LIMITS_LUA = `
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local weight = (window - elapsed) / window
local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
local costs = { 1, 1, tonumber(ARGV[6]) }
local reserve = tonumber(ARGV[7])
local buckets = tonumber(ARGV[10])
-- Every counter and hold in one read.
local v = redis.call('MGET', unpack(KEYS))
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
  local held = { 0, 0 }
  for i = 1, buckets do
    held[1] = held[1] + tonumber(v[8 + i] or '0')
    held[2] = held[2] + tonumber(v[8 + buckets + i] or '0')
  end
  local checks = { { tonumber(ARGV[8]), v[7], held[1], 4 }, { tonumber(ARGV[9]), v[8], held[2], 5 } }
  for _, c in ipairs(checks) do
    if c[1] >= 0 then
      local spent = tonumber(c[2] or '0')
      if spent >= c[1] then return { 0, c[4], c[1], 0, 0, 0, 0, 1 } end
      if spent + c[3] + reserve > c[1] then return { 0, c[4], c[1], c[1] - spent - c[3], 0, 0, 0, 0 } end
    end
  end
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
local generation = ''
if reserve > 0 then
  for _, key in ipairs({ KEYS[7 + buckets], KEYS[7 + 2 * buckets] }) do
    -- The expiry is set by the hold that creates the key: every redis.call costs (issue #14).
    if redis.call('INCRBY', key, ARGV[7]) == reserve then redis.call('PEXPIRE', key, ARGV[11]) end
  end
  generation = v[9 + 2 * buckets]
  if not generation then
    generation = ARGV[12]
    redis.call('SET', KEYS[9 + 2 * buckets], generation, 'PX', ARGV[11])
  end
end
return { 1, 0, reqLimit, reqRemaining, tokLimit, tokRemaining, window - elapsed, 0, generation }
`;
