-- POST /api/cases with varied bodies: category by weight, a point in the city, a reporter.
-- Data file: line 1 "<access token>", line 2 the category ids (repeated by weight), line 3 the
-- bbox (min lon, min lat, max lon, max lat).
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local headers, cats, bbox
local n = 0

function init(args)
   local rows = read_rows(args[1])
   headers = {
      ["Authorization"] = "Bearer " .. rows[1][1],
      ["Content-Type"] = "application/json",
   }
   cats = rows[2]
   bbox = {}
   for i = 1, 4 do bbox[i] = tonumber(rows[3][i]) end
   seed_random()
end

function request()
   n = n + 1
   local lon = bbox[1] + math.random() * (bbox[3] - bbox[1])
   local lat = bbox[2] + math.random() * (bbox[4] - bbox[2])
   local body = string.format(
      '{"category_id": %s, "lat": %.6f, "lon": %.6f, ' ..
      '"description": "Laporan warga %d-%d: mohon segera ditangani", ' ..
      '"address": "Jl. Bench No. %d", "landmark": "dekat pos %d", ' ..
      '"reporter": {"name": "Warga %d", "phone": "0812%08d"}}',
      cats[math.random(#cats)], lat, lon, thread_id, n, n % 250, n % 40, n,
      math.random(0, 99999999))
   return wrk.format("POST", "/api/cases", headers, body)
end
