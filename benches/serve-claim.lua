-- wrk script for scripts/bench-serve.sh: claim POSTs against `flashsale serve`, each with a
-- bearer JWT of its own shopper. The tokens are minted beforehand (tokens file, one a line);
-- thread i of n takes every n-th token, so no two connections share a shopper, and each
-- request is a new shopper's first claim until the thread's share runs out (then replays).
--
-- Every request is formatted once, in init, before the clock starts: formatting it in
-- request() ran Lua for every claim and made wrk burn about 25 µs of CPU per request on the
-- two cores it shares with the server (redis-benchmark, on the other side of the comparison,
-- sends pre-built commands from C).
local tokens_file, campaign = os.getenv("BENCH_TOKENS"), os.getenv("BENCH_CAMPAIGN")
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local requests, at = {}, 1

function init(args)
  local total = tonumber(os.getenv("BENCH_THREADS"))
  local path = "/v1/campaigns/" .. campaign .. "/claim"
  local i = 0
  for line in io.lines(tokens_file) do
    if i % total == id - 1 then
      table.insert(requests, wrk.format("POST", path, {
        ["Authorization"] = "Bearer " .. line,
        ["Content-Type"] = "application/json",
      }, '{"cart_cents": 5000}'))
    end
    i = i + 1
  end
end

function request()
  local r = requests[at]
  at = at % #requests + 1
  return r
end
