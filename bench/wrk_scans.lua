-- wrk script for the scan benchmarks: every request is a real scan with its own scan id.
--
--   wrk -t2 -c32 -d20s -s bench/wrk_scans.lua http://127.0.0.1:PORT/api/v1/scans -- ITEMS THREADS TOKEN MODE NONCE
--
-- ITEMS is a file of "shipment code weight_kg" lines prepared by bench/http_scans.py; thread i of THREADS takes
-- lines i, i+THREADS, ... so no line is used twice (a container is received only once). MODE is "receive" or
-- "dispose"; "baseline" sends receive-shaped scans of one made-up container forever (the baseline app records
-- any well-formed scan, so it needs no list). When a thread runs out of lines it sends an invalid body on
-- purpose: those requests count as non-2xx and the bench reports the run as exhausted.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter - 1)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  token, mode, nonce = args[3], args[4], args[5]
  items = {}
  local index = 0
  if mode == "baseline" then
    path = "/dev/null"
  end
  for line in io.lines(path) do
    if index % nthreads == id then
      items[#items + 1] = line
    end
    index = index + 1
  end
  position = 0
  exhausted = 0
  headers = { ["Content-Type"] = "application/json" }
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  position = position + 1
  local item = items[position]
  if mode == "baseline" then
    item = "20265001000001 12500103459578017X8410010120261204001 5.000"
  end
  if item == nil then
    exhausted = exhausted + 1
    return wrk.format("POST", nil, headers, "{}")
  end
  local shipment, code, weight = item:match("^(%S+) (%S+) (%S+)")
  -- A version-4-shaped UUID unique to this run, thread and request.
  local scan_id = string.format("%s-%04x-4%03x-8%03x-%012x", nonce, id, 0, 0, position)
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local body
  if mode == "dispose" then
    body = string.format(
      '{"scan_id":"%s","text":"%s","action":"dispose","method":"Y10","line":"bench","scanned_at":"%s"}',
      scan_id, code, now)
  else
    body = string.format(
      '{"scan_id":"%s","text":"%s","action":"receive","shipment":"%s","weight_kg":"%s","scanned_at":"%s"}',
      scan_id, code, shipment, weight, now)
  end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local total_exhausted = 0
  for _, thread in ipairs(threads) do
    total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
  end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"exhausted":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, total_exhausted))
end
