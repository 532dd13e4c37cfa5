-- Shared by every wrk script of the benchmarks: counts responses by status in each thread and
-- prints one machine-readable line (BENCH_JSON {...}) that bench/harness.py parses.
-- Each scenario script loads this first: dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
   table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
   local k = tostring(status)
   statuses[k] = (statuses[k] or 0) + 1
end

-- Lines of a data file, each split on spaces (tokens, ids, bounding boxes).
function read_rows(path)
   local rows = {}
   for line in io.lines(path) do
      if #line > 0 then
         local fields = {}
         for f in string.gmatch(line, "%S+") do table.insert(fields, f) end
         table.insert(rows, fields)
      end
   end
   return rows
end

function seed_random()
   math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function done(summary, latency, requests)
   local agg = {}
   for _, t in ipairs(threads) do
      local s = t:get("statuses") or {}
      for k, v in pairs(s) do agg[k] = (agg[k] or 0) + v end
   end
   local parts = {}
   for k, v in pairs(agg) do table.insert(parts, string.format('"%s": %d', k, v)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ", ")))
end
