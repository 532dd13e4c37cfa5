-- GET /api/cases.geojson over bounding boxes that each hold about 2,000 cases, as a browser
-- asks for it (gzip accepted). Data file: line 1 "<access token>", then one bbox per line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local headers, boxes
local i = 0

function init(args)
   local rows = read_rows(args[1])
   headers = {
      ["Authorization"] = "Bearer " .. rows[1][1],
      ["Accept-Encoding"] = args[2] or "gzip",
   }
   boxes = {}
   for k = 2, #rows do table.insert(boxes, rows[k][1]) end
   i = thread_id or 0
end

function request()
   i = i + 1
   local box = boxes[(i % #boxes) + 1]
   return wrk.format("GET", "/api/cases.geojson?bbox=" .. box, headers)
end
