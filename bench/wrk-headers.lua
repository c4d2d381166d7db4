-- wrk script: each request takes the next Authorization header from HEADERS_FILE (one per line,
-- "-" for none), and counts response statuses so the benchmark can tell expected answers from errors.
local headers = {}
local file = os.getenv("HEADERS_FILE")
-- Optional X-Original-URI, as nginx sends it, for measuring the gateway without nginx in front.
local original_uri = os.getenv("ORIGINAL_URI")
for line in io.lines(file) do headers[#headers + 1] = line end
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = offset * 7919
  statuses = {}
end

function request()
  counter = counter + 1
  local value = headers[(counter % #headers) + 1]
  local request_headers = {}
  if original_uri then request_headers["X-Original-URI"] = original_uri end
  if value ~= "-" then request_headers["Authorization"] = value end
  return wrk.format("GET", nil, request_headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(total) do parts[#parts + 1] = string.format('"%d": %d', code, n) end
  io.write(string.format('STATUSES {%s}\n', table.concat(parts, ", ")))
  io.write(string.format('LATENCY {"p50": %.3f, "p99": %.3f}\n', latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  -- The tail from p90 up, so that the p99 of several short runs together can be worked out.
  local tail = {}
  for p = 90, 99.9, 0.1 do tail[#tail + 1] = string.format('[%.1f, %.3f]', p, latency:percentile(p) / 1000) end
  tail[#tail + 1] = string.format('[100, %.3f]', latency.max / 1000)
  io.write(string.format('TAIL [%s]\n', table.concat(tail, ", ")))
end
