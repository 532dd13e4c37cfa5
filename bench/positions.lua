-- POST /api/teams/{id}/positions: field officers of many on-duty teams pinging their position.
-- Data file: one "<team id> <access token>" per line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local members
local i = 0

function init(args)
   members = read_rows(args[1])
   i = (thread_id or 0) * 17
   seed_random()
end

function request()
   i = i + 1
   local m = members[(i % #members) + 1]
   local body = string.format('{"lat": %.6f, "lon": %.6f, "accuracy_m": %.1f}',
      -4.10 + math.random() * 0.17, 122.43 + math.random() * 0.23, 5 + math.random() * 40)
   return wrk.format("POST", "/api/teams/" .. m[1] .. "/positions", {
      ["Authorization"] = "Bearer " .. m[2],
      ["Content-Type"] = "application/json",
   }, body)
end
