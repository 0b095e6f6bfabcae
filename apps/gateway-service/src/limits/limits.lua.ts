// One round trip for every limit of a request: sliding windows (previous minute weighted + current minute)
// for the owner's tier RPM, the key's RPM and the key's TPM. All keys share the owner's hash tag, so the
// script is valid on Redis Cluster. Nothing is counted unless every limit passes.
//
// KEYS: tierCur, tierPrev, keyCur, keyPrev, tokCur, tokPrev
// ARGV: elapsedMsInWindow, windowMs, tierRpm, keyRpm, keyTpm, tokens   (a limit of 0 = none)
// Returns: {allowed(1|0), failedLimit(0 none|1 tier|2 key rpm|3 tpm), limit, remaining, tokLimit, tokRemaining, resetOrRetryMs}
// (when refused, `limit` is the refusing limit's value)
export const SLIDING_WINDOW_LUA = `
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local weight = (window - elapsed) / window
local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
local costs = { 1, 1, tonumber(ARGV[6]) }
local used = {}
local prevs = {}
for i = 1, 3 do
  if limits[i] > 0 then
    local cur = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local prev = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    used[i] = prev * weight + cur
    prevs[i] = prev
    if used[i] + costs[i] > limits[i] then
      local excess = used[i] + costs[i] - limits[i]
      local retry = window - elapsed
      if prev > 0 then retry = math.min(retry, math.ceil(excess * window / prev)) end
      return { 0, i, limits[i], 0, 0, 0, math.max(retry, 1) }
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
return { 1, 0, reqLimit, reqRemaining, tokLimit, tokRemaining, window - elapsed }
`;
