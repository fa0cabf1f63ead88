-- wrk script for scripts/bench_webhook.py (`make bench-webhook`).
--
--   wrk ... http://127.0.0.1:PORT/whatsapp/webhook -- BODIES_FILE NTHREADS
--       POSTs pre-signed webhook bodies, one per request, in file order. BODIES_FILE has one
--       "sha256=<hex>\t<json body>" per line; wrk thread k sends lines k, k+N, k+2N, ... so no
--       body is sent twice unless a thread runs out (then it wraps and counts "reused").
--   wrk ... http://127.0.0.1:PORT/healthz -- - NTHREADS
--       GETs the URL (the bare endpoint), through the same Lua request() path.
--
-- done() prints one line "BENCH_JSON {...}" that the Python driver parses: completed
-- requests, socket and status errors, latency percentiles (microseconds), requests sent.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1] or "-"
  local nthreads = tonumber(args[2] or "1")
  reqs = {}
  sent = 0
  reused = 0
  pos = 0
  lap = 0
  bodies = (file ~= "-")
  -- wrk calls request() once on thread 0 before the run to inspect it; that call must not
  -- consume a body (see "verified" in request()).
  verified = (tid ~= 0)
  if file == "-" then
    reqs[1] = wrk.format("GET", nil, {})
    return
  end
  local k = 0
  for line in io.lines(file) do
    if k % nthreads == tid then
      local tab = line:find("\t", 1, true)
      local headers = {
        ["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = line:sub(1, tab - 1),
      }
      reqs[#reqs + 1] = wrk.format("POST", nil, headers, line:sub(tab + 1))
    end
    k = k + 1
  end
end

function request()
  if not verified then
    verified = true
    return reqs[1]
  end
  pos = pos + 1
  if pos > #reqs then
    pos = 1
    lap = lap + 1
  end
  sent = sent + 1
  if bodies and lap > 0 then
    reused = reused + 1
  end
  return reqs[pos]
end

function done(summary, latency, requests)
  local total_sent, total_reused = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + (thread:get("sent") or 0)
    total_reused = total_reused + (thread:get("reused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,' ..
    '"mean":%.1f,"sent":%d,"reused":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, total_sent, total_reused))
end
