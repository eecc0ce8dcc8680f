-- The Redis + Lua baseline, for comparison with `cargo bench --bench claims`:
-- replay if the user holds a claim, refuse when nothing is left, else take a unit and record
-- the claim, atomically (a script runs alone). ARGV[1] = user, ARGV[2] = token. See docs/performance.md.
local held = redis.call('HGET', 'claims', ARGV[1])
if held then return held end
local left = tonumber(redis.call('GET', 'remaining'))
if left <= 0 then return false end
redis.call('DECR', 'remaining')
redis.call('HSET', 'claims', ARGV[1], ARGV[2])
return ARGV[2]
