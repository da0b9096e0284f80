-- wrk script for deploy/cluster/run.sh: the mixed load of a site using crumb.
--
-- Of every four requests: one consent decision (POST /api/consent, a
-- durable write, 201), two tracker events (POST /api/event, written by group
-- commit, 202) and one read of the visitor's consent state (GET /api/consent).
-- Events and reads carry the consent cookies of one visitor who granted
-- statistics (CRUMB_COOKIE, taken by run.sh from one 201), so that events are
-- recorded rather than dropped. CRUMB_ORIGIN is the configured origin, sent as
-- Origin; wrk sends the URL's host:port as Host. Each consent comes from an
-- address of its own (X-Forwarded-For, which the nodes believe from the
-- balancer), as a site's visitors would: crumb limits decisions per address.

local origin = os.getenv("CRUMB_ORIGIN")
local cookie = os.getenv("CRUMB_COOKIE") or ""
local consent = '{"granted":["statistics"],"language":"en"}'
local pages = { "/", "/products", "/cart", "/about", "/products/tea" }
-- A browser's user agent: without one (wrk sends none) an event is taken
-- for a bot's and dropped.
local ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
local n = 0

request = function()
  n = n + 1
  local kind = n % 4
  if kind == 0 then
    local address = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format("POST", "/api/consent",
      { ["Content-Type"] = "application/json", ["Origin"] = origin, ["User-Agent"] = ua,
        ["X-Forwarded-For"] = address }, consent)
  elseif kind == 3 then
    return wrk.format("GET", "/api/consent", { ["Cookie"] = cookie, ["Origin"] = origin, ["User-Agent"] = ua })
  else
    local page = pages[(n % #pages) + 1]
    local body = '{"name":"pageview","url":"' .. origin .. page .. '"}'
    return wrk.format("POST", "/api/event",
      { ["Content-Type"] = "application/json", ["Origin"] = origin, ["Cookie"] = cookie, ["User-Agent"] = ua }, body)
  end
end

-- One line run.sh reads: requests, seconds, answers not 2xx/3xx, socket errors.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f non2xx=%d socket_errors=%d p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
