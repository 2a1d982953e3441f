-- Shared by every scenario: optional request variety, and one JSON line of results.
-- Environment (read once per thread):
--   BENCH_METHOD   GET (default) or POST
--   BENCH_PATHS    file with one request path per line; requests cycle through them
--   BENCH_BODY     file with the JSON body for POST (with "{{ID}}" replaced per request)
--   BENCH_HEADERS  "Name: value" pairs separated by "\n"
--   BENCH_PORTS    "8001,8002": thread i sends to the i-th port (wrk -t<number of ports>)
--   BENCH_IDEMPOTENCY  "1": every request carries a fresh Idempotency-Key
local paths = {}
local body_template = nil
local counter = 0

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  idempotency = os.getenv("BENCH_IDEMPOTENCY") == "1"
  -- thread_id: a global each thread's state gets from setup(); keys differ across threads.
  math.randomseed(os.time() + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  local headers = os.getenv("BENCH_HEADERS")
  if headers then
    for line in string.gmatch(headers, "[^\n]+") do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      if name then wrk.headers[name] = value end
    end
  end
  local list = os.getenv("BENCH_PATHS")
  if list then
    for line in io.lines(list) do
      if #line > 0 then paths[#paths + 1] = line end
    end
  end
  local body = os.getenv("BENCH_BODY")
  if body then
    body_template = read(body)
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  counter = counter + 1
  local path = wrk.path
  if #paths > 0 then path = paths[(counter % #paths) + 1] end
  local body = nil
  if body_template then
    body = string.gsub(body_template, "{{ID}}", tostring(counter) .. "-" .. tostring(math.random(1, 1e9)))
  end
  if idempotency then
    wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_id or 0, counter, math.random(1, 1e9))
  end
  return wrk.format(nil, path, nil, body)
end

-- Counts of each status outside 2xx, so a run with failures says what they were.
statuses = {}
function response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
    if not first_error then first_error = body end
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_id", #threads)
  local list = os.getenv("BENCH_PORTS")
  if list then
    local ports = {}
    for port in string.gmatch(list, "[^,]+") do ports[#ports + 1] = port end
    local port = ports[(#threads - 1) % #ports + 1]
    thread.addr = wrk.lookup(wrk.host, port)[1]
  end
end

local function json_string(s)
  s = string.sub(s or "", 1, 300)
  s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local counts, sample = {}, nil
  for _, thread in ipairs(threads) do
    local st = thread:get("statuses") or {}
    for code, n in pairs(st) do counts[code] = (counts[code] or 0) + n end
    sample = sample or thread:get("first_error")
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', code, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
    '"statuses": {%s}, "error_sample": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ", "), json_string(sample)))
end
