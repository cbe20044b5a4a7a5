-- paths.lua - wrk script for bench/run.sh: every request is a GET of a path drawn at random from
-- BENCH_PATHS (a file, one path per line), sent with "Authorization: Bearer $BENCH_TOKEN" when
-- BENCH_TOKEN is set. The requests are formatted once at start-up, so the script adds no work
-- per request. Each wrk thread seeds its own generator from its number, so a run is repeatable.
--
-- At the end it prints one machine-readable line that bench/run.sh parses (times in
-- microseconds, exact values from wrk's histogram rather than its rounded text):
--   BENCH requests=N duration_us=N bytes=N mean_us=X p50_us=X p90_us=X p99_us=X p999_us=X
--         max_us=X err_connect=N err_read=N err_write=N err_status=N err_timeout=N paths=N
--
--   BENCH_PATHS=p.txt BENCH_TOKEN=... wrk -t2 -c64 -d15s --latency -s bench/paths.lua http://h:p

local paths_file = os.getenv("BENCH_PATHS")
local token = os.getenv("BENCH_TOKEN")
local requests = {}
local thread_no = 0
local n_paths = 0

local function load_paths()
  local list = {}
  local f = assert(io.open(assert(paths_file, "BENCH_PATHS is not set"), "r"))
  for line in f:lines() do
    line = line:gsub("%s+$", "")
    if #line > 0 then list[#list + 1] = line end
  end
  f:close()
  assert(#list > 0, "no paths in " .. paths_file)
  return list
end

-- runs in the main state once per thread, before the threads start
function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
end

-- runs in each thread's own state
function init(args)
  local headers = {}
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
  for _, p in ipairs(load_paths()) do
    requests[#requests + 1] = wrk.format("GET", p, headers)
  end
  math.randomseed(7919 * (thread_no or 1))
end

function request()
  return requests[math.random(#requests)]
end

-- runs in the main state after all threads stop
function done(summary, latency, _)
  n_paths = #load_paths()
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d mean_us=%.1f p50_us=%d p90_us=%d p99_us=%d " ..
    "p999_us=%d max_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d " ..
    "err_timeout=%d paths=%d\n",
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    n_paths))
end
