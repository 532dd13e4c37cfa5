-- Case transitions: a dispatcher assigns a case to a team, its field officer accepts, sets off
-- (en route) and hands it back (return, with a note), and the next case of the team follows.
-- Run with one connection per thread (-tN -cN): each thread walks its own cases in order.
-- Data file: "<case id> <team id> <version> <dispatcher token> <officer token>" per line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local mine = {}
local k = 1
local step = 0

function init(args)
   local rows = read_rows(args[1])
   local n = tonumber(args[2])
   for i, row in ipairs(rows) do
      if (i - 1) % n == (thread_id or 1) - 1 then table.insert(mine, row) end
   end
end

local function post(path, token, body)
   return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }, body)
end

function request()
   local c = mine[k]
   local base = "/api/cases/" .. c[1]
   if step == 0 then
      return post(base .. "/assign", c[4],
         string.format('{"team_id": %s, "version": %s}', c[2], c[3]))
   elseif step == 1 then
      return post(base .. "/transitions", c[5], '{"action": "accept"}')
   elseif step == 2 then
      return post(base .. "/transitions", c[5], '{"action": "en_route"}')
   end
   return post(base .. "/transitions", c[5], '{"action": "return", "note": "bench"}')
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   local c = mine[k]
   local v = string.match(body or "", '"version":(%d+)')
   if v then c[3] = v end
   step = (step + 1) % 4
   if step == 0 then k = (k % #mine) + 1 end
end
