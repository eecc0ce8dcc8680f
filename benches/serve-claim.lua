-- wrk script for scripts/bench-serve.sh: claim POSTs against `flashsale serve`, each with a
-- bearer JWT of its own shopper. The tokens are minted beforehand (tokens file, one a line);
-- thread i of n takes every n-th token, so no two connections share a shopper, and each
-- request is a new shopper's first claim until the thread's share runs out (then replays).
local tokens_file, campaign = os.getenv("BENCH_TOKENS"), os.getenv("BENCH_CAMPAIGN")
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local mine, at, path = {}, 1, nil

function init(args)
  local total = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(tokens_file) do
    if i % total == id - 1 then table.insert(mine, line) end
    i = i + 1
  end
  path = "/v1/campaigns/" .. campaign .. "/claim"
end

function request()
  local token = mine[at]
  at = at % #mine + 1
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"cart_cents": 5000}')
end
