// The Lua that frees credit reservations, shared by the gateway's quota check (expired reservations) and
// metering (requests' real costs arrived). KEYS of the caller: the owner's reservation hash and expiry set
// (SPEND_KEYS.reservations / reservationExpiry in @gw/contracts). `ids` is a Lua array of request ids (at most
// a few hundred: they are unpacked into single commands). One read, one delete and one ZREM for all of them,
// and one increment per key and for the owner (issue #14: Redis CPU per request). Amounts go back to Redis
// through string.format('%d'): Lua would print a large number as 1e+15, which HINCRBY refuses.
export const RELEASE_RESERVATION_LUA = `
local function releaseMany(rv, rx, ids)
  if #ids == 0 then return end
  local fields = {}
  for i = 1, #ids do fields[i] = 'r:' .. ids[i] end
  local values = redis.call('HMGET', rv, unpack(fields))
  local byKey = {}
  local total = 0
  local held = {}
  for i = 1, #ids do
    local v = values[i]
    if v then
      local sep = string.find(v, ':', 1, true)
      local amount = tonumber(string.sub(v, 1, sep - 1))
      local field = 'k:' .. string.sub(v, sep + 1)
      byKey[field] = (byKey[field] or 0) + amount
      total = total + amount
      held[#held + 1] = fields[i]
    end
  end
  if #held > 0 then
    for field, amount in pairs(byKey) do
      if redis.call('HINCRBY', rv, field, string.format('%d', -amount)) == 0 then redis.call('HDEL', rv, field) end
    end
    redis.call('HINCRBY', rv, 'o', string.format('%d', -total))
    redis.call('HDEL', rv, unpack(held))
  end
  redis.call('ZREM', rx, unpack(ids))
end
`;
