-- GET one path over and over (the HTTP ceiling). Data file: line 1 the path.
dofile(os.getenv("BENCH_LUA_DIR") .. "/wrk_common.lua")

local path

function init(args)
   path = read_rows(args[1])[1][1]
end

function request()
   return wrk.format("GET", path)
end
