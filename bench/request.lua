-- wrk script for bench/run. Environment:
--   BENCH_HEADERS     extra request headers, one "Name: value" per line (cookie, If-None-Match)
--   BENCH_VOTE_IDEAS  comma-separated idea ids: send vote POSTs instead of the URL's GET,
--                     alternating vote=1 and vote=0 on each idea in turn
--   BENCH_CSRF        the CSRF token that goes with the session cookie (vote POSTs)
--   BENCH_PATHS       paths to GET in turn, one per line (a query mix), instead of the URL's
-- At the end it prints one line "BENCH_JSON {...}" with counts and p50/p95/p99 latency.

local vote_ideas = {}
local csrf = os.getenv("BENCH_CSRF") or ""
local counter = 0
local threads = 0

for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
for id in (os.getenv("BENCH_VOTE_IDEAS") or ""):gmatch("%d+") do
  table.insert(vote_ideas, id)
end
local paths = {}
for path in (os.getenv("BENCH_PATHS") or ""):gmatch("[^\n]+") do
  table.insert(paths, path)
end

function setup(thread)
  -- Each thread starts on a different idea, so two threads rarely vote on the same one.
  thread:set("offset", threads * 7)
  threads = threads + 1
end

if #vote_ideas > 0 then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"

  function request()
    counter = counter + 1
    local index = (math.floor((counter - 1) / 2) + (offset or 0)) % #vote_ideas + 1
    local vote = (counter % 2 == 1) and "1" or "0"
    local body = "csrf_token=" .. csrf .. "&vote=" .. vote
    return wrk.format("POST", "/ideas/" .. vote_ideas[index] .. "/vote", nil, body)
  end
end

if #vote_ideas == 0 and #paths > 0 then
  function request()
    counter = counter + 1
    return wrk.format("GET", paths[(counter + (offset or 0)) % #paths + 1])
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max))
end
