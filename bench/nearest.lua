-- GET /api/cases/{id}/team-suggestions for open cases across agencies.
-- Data file: line 1 "<access token>", then one case id per line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local headers, ids
local i = 0

function init(args)
   local rows = read_rows(args[1])
   headers = {["Authorization"] = "Bearer " .. rows[1][1]}
   ids = {}
   for k = 2, #rows do table.insert(ids, rows[k][1]) end
   i = thread_id or 0
end

function request()
   i = i + 1
   local id = ids[(i % #ids) + 1]
   return wrk.format("GET", "/api/cases/" .. id .. "/team-suggestions", headers)
end
