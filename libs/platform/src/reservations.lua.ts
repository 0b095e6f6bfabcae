// The Lua that frees one credit reservation, shared by the gateway's quota check (expired reservations)
// and metering (a request's real cost arrived). KEYS of the caller: the owner's reservation hash and
// expiry set (SPEND_KEYS.reservations / reservationExpiry in @gw/contracts).
export const RELEASE_RESERVATION_LUA = `
local function release(rv, rx, id)
  local v = redis.call('HGET', rv, 'r:' .. id)
  if v then
    local sep = string.find(v, ':', 1, true)
    local amount = tonumber(string.sub(v, 1, sep - 1))
    local field = 'k:' .. string.sub(v, sep + 1)
    if redis.call('HINCRBY', rv, field, -amount) == 0 then redis.call('HDEL', rv, field) end
    redis.call('HINCRBY', rv, 'o', -amount)
    redis.call('HDEL', rv, 'r:' .. id)
  end
  redis.call('ZREM', rx, id)
end
`;
