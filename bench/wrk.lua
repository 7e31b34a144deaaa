-- The wrk script of bench/load.py:
--   wrk ... -s bench/wrk.lua <url> -- get
--   wrk ... -s bench/wrk.lua <url> -- checkin <tokens file> <csrf token> <run id> <threads>
-- wrk counts only statuses >= 400 as errors; this script counts every answer that is not a 200
-- (a redirect to the login page is an error too). For the check-in each request carries a ticket
-- of its own (the file has one per line, split between the threads) and a scan id of its own,
-- and the answers that really checked someone in are counted.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

not200 = 0
checked_in = 0
posted = 0
exhausted = 0
local mode, tokens, csrf, run_id

function init(args)
  mode = args[1] or "get"
  if mode == "checkin" then
    tokens = {}
    local nthreads = tonumber(args[5])
    local i = 0
    for line in io.lines(args[2]) do
      if i % nthreads == id then table.insert(tokens, line) end
      i = i + 1
    end
    csrf = args[3]
    run_id = args[4]
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  if mode ~= "checkin" then
    return wrk.request()
  end
  posted = posted + 1
  if posted > #tokens then exhausted = exhausted + 1 end
  local token = tokens[(posted - 1) % #tokens + 1]
  local body = "client_id=" .. run_id .. "-" .. id .. "-" .. posted .. "&token=" .. token .. "&csrf_token=" .. csrf
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    not200 = not200 + 1
  elseif mode == "checkin" and string.find(body, '"verdict":%s*"checked_in"') then
    checked_in = checked_in + 1
  end
end

function done(summary, latency, requests)
  local n_not200, n_checked_in, n_exhausted = 0, 0, 0
  for _, thread in ipairs(threads) do
    n_not200 = n_not200 + thread:get("not200")
    n_checked_in = n_checked_in + thread:get("checked_in")
    n_exhausted = n_exhausted + thread:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "status_errors": %d, "not_200": %d, "checked_in": %d, "tickets_reused": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status, n_not200, n_checked_in,
    n_exhausted, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
