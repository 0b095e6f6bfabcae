// The Lua that frees one credit reservation, shared by the gateway's quota check (expired reservations)
// and metering (a request's real cost arrived). KEYS of the caller: the owner's reservation hash and
// expiry set (SPEND_KEYS.reservations / reservationExpiry in @gw/contracts). Amounts go back to Redis
// through string.format('%d'): Lua would print a large number as 1e+15, which HINCRBY refuses.
export const RELEASE_RESERVATION_LUA = `
local function release(rv, rx, id)
  local v = redis.call('HGET', rv, 'r:' .. id)
  if v then
    local sep = string.find(v, ':', 1, true)
    local amount = tonumber(string.sub(v, 1, sep - 1))
    local field = 'k:' .. string.sub(v, sep + 1)
    local minus = string.format('%d', -amount)
    if redis.call('HINCRBY', rv, field, minus) == 0 then redis.call('HDEL', rv, field) end
    redis.call('HINCRBY', rv, 'o', minus)
    redis.call('HDEL', rv, 'r:' .. id)
  end
  redis.call('ZREM', rx, id)
end
`;
