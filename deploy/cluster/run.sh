#!/usr/bin/env bash
# Several crumb nodes, shown (issue 21).
#
# Starts three `crumb serve` nodes on one PostgreSQL database (a fresh one,
# dropped at exit) behind HAProxy (round-robin, health check on /readyz),
# drives a mixed load through it with wrk while one node is killed with
# SIGKILL and restarted, and checks:
#
#   1. no acknowledged consent decision is lost: every receipt answered 201
#      during the kill reads back (200) through every node directly;
#   2. a session made on node 1 is valid on nodes 2 and 3;
#   3. sign-in throttles are shared: wrong passwords spread over the three
#      nodes are refused (429) after the allowed number in total;
#   4. one node rolls up at a time: while another session holds the rollup
#      advisory lock every node skips its run; once it is free they run;
#   5. throughput of 1, 2 and 3 nodes behind the balancer (same load, same
#      duration), printed as a table.
#
# Usage: deploy/cluster/run.sh [--short]
#   --short      short load phases (CI: under 2 minutes in all)
#   CRUMB_BIN    the crumb binary (default target/release/crumb if built,
#                else target/debug/crumb, built with cargo if missing)
#   CLUSTER_PG   PostgreSQL server URL without database
#                (default postgres://postgres@127.0.0.1:5432)
# Exits non-zero when a check fails. Everything runs on this machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHORT=0
for arg in "$@"; do
  case "$arg" in
    --short) SHORT=1 ;;
    *) echo "usage: $0 [--short]" >&2; exit 2 ;;
  esac
done

if ((SHORT)); then PHASE=8 KILL_PHASE=24; else PHASE=30 KILL_PHASE=60; fi
LB_PORT=18080
NODE_PORTS=(18081 18082 18083)
ADMIN_PORT=18089 # HAProxy's runtime API (to take nodes out for the table)
ORIGIN="http://127.0.0.1:$LB_PORT"
HOST="127.0.0.1:$LB_PORT" # the Host every node must see (else 421)
SITE="crumb cluster demo"
PG_SERVER=${CLUSTER_PG:-postgres://postgres@127.0.0.1:5432}
DB="crumb_cluster_$$"
WORK=$(mktemp -d /tmp/crumb-cluster.XXXXXX)
FAILED=0

step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '    FAILED: %s\n' "$*"; FAILED=1; }

# --- tools -----------------------------------------------------------------

need_apt=()
command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || need_apt+=(haproxy)
command -v wrk >/dev/null || need_apt+=(wrk)
for tool in curl jq psql; do command -v $tool >/dev/null || need_apt+=("$tool"); done
if ((${#need_apt[@]})); then
  step "installing ${need_apt[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]/psql/postgresql-client}" >/dev/null
fi
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

if [[ -z "${CRUMB_BIN:-}" ]]; then
  if [[ -x "$ROOT/target/release/crumb" ]]; then CRUMB_BIN="$ROOT/target/release/crumb"
  elif [[ -x "$ROOT/target/debug/crumb" ]]; then CRUMB_BIN="$ROOT/target/debug/crumb"
  else
    step "building crumb (cargo build -p crumb)"
    (cd "$ROOT" && cargo build -q -p crumb)
    CRUMB_BIN="$ROOT/target/debug/crumb"
  fi
fi
[[ "$CRUMB_BIN" = /* ]] || CRUMB_BIN="$ROOT/$CRUMB_BIN"
[[ -x "$CRUMB_BIN" ]] || { echo "no crumb binary at $CRUMB_BIN" >&2; exit 1; }

# --- cleanup: nodes, balancer, database, work directory ----------------------

declare -A NODE_PID=()
HAPROXY_PID=""
cleanup() {
  local status=$?
  for pid in "${NODE_PID[@]}" $HAPROXY_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PID[@]}" $HAPROXY_PID; do wait "$pid" 2>/dev/null || true; done
  psql -q -X "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  if ((status != 0)); then
    echo "logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the database and the declaration ---------------------------------------

step "fresh database $DB on $(sed -E 's#//[^@]*@#//#' <<<"$PG_SERVER")"
psql -q -X "$PG_SERVER/postgres" -c "CREATE DATABASE $DB" >/dev/null
export CRUMB_POSTGRES_URL="$PG_SERVER/$DB"

# The demo declaration, on PostgreSQL, with the balancer's address as the
# one origin (every node answers for the balancer's Host) and one secret key
# file for all nodes (sessions and cookies signed on one verify on the others).
sed -e "s#^name = \"Crumb Demo Shop\"#name = \"$SITE\"#" \
  -e "s#^origins = .*#origins = [\"$ORIGIN\"]#" \
  -e "s#^backend = \"sqlite\"#backend = \"postgres\"#" \
  -e "/^path = \"crumb-data\/crumb.db\"/d" \
  -e "s#^secret_file = .*#secret_file = \"$WORK/secret.key\"#" \
  -e "s#^listen = .*#listen = \"127.0.0.1:${NODE_PORTS[0]}\"#" \
  -e "s#^demo = true#demo = false\nshutdown_seconds = 5\ntrusted_proxies = [\"127.0.0.1\"]#" \
  "$ROOT/web/demo/crumb.toml" >"$WORK/crumb.toml"
"$CRUMB_BIN" policy check "$WORK/crumb.toml" >/dev/null

# --- nodes ------------------------------------------------------------------

# Node n (1-3) listens on NODE_PORTS[n-1]; JSON logs in $WORK/node$n.log.
# The rollup job logs "rollup done" / "rollup skipped: …" at debug level.
start_node() {
  local n=$1
  # The load's events all carry one visitor's cookies (standing for every
  # visitor of the load), so the per-visitor event limit is lifted; the
  # consent limit stays as configured (30 a browser, 300 an address a minute).
  CRUMB_LISTEN="127.0.0.1:${NODE_PORTS[n - 1]}" CRUMB_LOG_FORMAT=json CRUMB_EVENTS_PER_MINUTE=100000 \
    RUST_LOG="info,crumb_core::analytics::jobs=debug" \
    "$CRUMB_BIN" serve --config "$WORK/crumb.toml" >>"$WORK/node$n.log" 2>&1 &
  NODE_PID[$n]=$!
}

# Waits until node n answers /readyz with 200 (any Host is fine there).
wait_ready() {
  local n=$1
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "http://127.0.0.1:${NODE_PORTS[n - 1]}/readyz" 2>/dev/null; then return 0; fi
    kill -0 "${NODE_PID[$n]}" 2>/dev/null || { echo "node $n exited:" >&2; tail -5 "$WORK/node$n.log" >&2; return 1; }
    sleep 0.2
  done
  echo "node $n not ready in 30 s" >&2
  return 1
}

# Another session takes the rollup lock before the nodes start and keeps it
# for a few seconds: each node's first run (at its start) must skip.
step "holding the rollup advisory lock from psql while the nodes start"
HOLD=6
psql -q -X "$CRUMB_POSTGRES_URL" -c "SELECT pg_advisory_lock(hashtext('crumb rollup'), hashtext(current_schema() || '/' || '$SITE'))" \
  -c "SELECT pg_sleep($HOLD)" >/dev/null &
HOLDER=$!
sleep 0.5

step "starting 3 nodes on ports ${NODE_PORTS[*]} ($CRUMB_BIN)"
# Node 1 first: it applies the migrations and creates the shared secret key.
start_node 1
wait_ready 1
for n in 2 3; do start_node "$n"; done
for n in 2 3; do wait_ready "$n"; done
ok "3 nodes ready"
wait "$HOLDER"

# --- the balancer -------------------------------------------------------------

step "HAProxy on $ORIGIN: round-robin, health check GET /readyz every second"
cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 4096
    stats socket ipv4@127.0.0.1:$ADMIN_PORT level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
frontend crumb
    bind 127.0.0.1:$LB_PORT
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    option forwardfor
    default-server check inter 1s fall 1 rise 2
    server n1 127.0.0.1:${NODE_PORTS[0]}
    server n2 127.0.0.1:${NODE_PORTS[1]}
    server n3 127.0.0.1:${NODE_PORTS[2]}
EOF
"$HAPROXY" -q -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$ORIGIN/readyz" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null "$ORIGIN/readyz" || { fail "the balancer does not answer"; exit 1; }
sleep 2 # every server passes its checks
ok "balancer up"

# Sends one command to HAProxy's runtime API.
haproxy_cmd() {
  exec 7<>"/dev/tcp/127.0.0.1/$ADMIN_PORT"
  printf '%s\n' "$1" >&7
  cat <&7 >/dev/null
  exec 7>&-
}

# The cookies a response set (curl -D header dump in $1), as a Cookie header.
# (Parsed by hand: curl's own jar may refuse __Host- cookies over http.)
cookies_from() {
  tr -d '\r' <"$1" | sed -nE 's/^[Ss]et-[Cc]ookie: ([^=;]+=[^;]*).*/\1/p' | paste -sd';' - | sed 's/;/; /g'
}

# POST /api/consent through $1 (a base URL); prints "status receipt_id".
post_consent() {
  local body
  body=$(curl -sS -m 5 -w '\n%{http_code}' -H "Host: $HOST" -H "Origin: $ORIGIN" \
    -H 'Content-Type: application/json' -d '{"granted":["statistics"],"language":"en"}' \
    "$1/api/consent" 2>/dev/null) || { echo "000 -"; return 0; }
  local code=${body##*$'\n'}
  local json=${body%$'\n'*}
  echo "$code $(jq -r '.receipt_id // "-"' <<<"$json" 2>/dev/null || echo -)"
}

# --- 4. rollup: one node at a time -------------------------------------------

step "rollup lock: every node skipped its first run while psql held the lock"
for n in 1 2 3; do
  skipped=$(grep -c 'rollup skipped: another node holds the lock' "$WORK/node$n.log" || true)
  if ((skipped >= 1)); then ok "node $n: rollup skipped ($skipped)"; else fail "node $n never skipped its rollup"; fi
done

# --- 2. sessions ----------------------------------------------------------------

step "a session made on node 1 is valid on nodes 2 and 3"
EMAIL="cluster-$$@example.com"
PASSWORD="cluster demo password $$-$RANDOM"
account_json() { jq -nc --arg e "$EMAIL" --arg p "$1" '{email: $e, password: $p}'; }
node_url() { echo "http://127.0.0.1:${NODE_PORTS[$1 - 1]}"; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: $HOST" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
  -d "$(account_json "$PASSWORD")" "$(node_url 1)/api/account/register")
[[ $code == 2* ]] || fail "register on node 1: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -D "$WORK/sign-in.headers" -H "Host: $HOST" -H "Origin: $ORIGIN" \
  -H 'Content-Type: application/json' -d "$(account_json "$PASSWORD")" "$(node_url 1)/api/account/sign-in")
[[ $code == 200 ]] && ok "signed in on node 1" || fail "sign-in on node 1: $code"
# The session cookie (__Host-, Secure: that only matters to browsers), sent
# to each node as a browser would send it to the balancer.
COOKIE=$(cookies_from "$WORK/sign-in.headers")
for n in 1 2 3; do
  code=$(curl -sS -o "$WORK/account.json" -w '%{http_code}' -H "Host: $HOST" -H "Cookie: $COOKIE" "$(node_url "$n")/api/account")
  if [[ $code == 200 ]] && jq -e --arg e "$EMAIL" '.. | strings | select(ascii_downcase == $e)' "$WORK/account.json" >/dev/null; then
    ok "GET /api/account on node $n: 200, the same account"
  else
    fail "GET /api/account on node $n: $code"
  fi
done

# --- 3. throttles -----------------------------------------------------------------

step "wrong passwords for one account, spread over the 3 nodes, are throttled in total"
statuses=()
for attempt in 1 2 3 4 5 6; do
  n=$(((attempt - 1) % 3 + 1))
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: $HOST" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    -d "$(account_json "wrong password $attempt")" "$(node_url "$n")/api/account/sign-in")
  statuses+=("node$n:$code")
done
echo "    attempts: ${statuses[*]}"
first_429=0
for i in "${!statuses[@]}"; do
  if [[ ${statuses[$i]} == *:429 ]]; then first_429=$((i + 1)); break; fi
done
# Each node saw at most 2 of the first 6 attempts: a per-node count would
# never reach the 3 free attempts; a shared one refuses the 4th at the latest.
if ((first_429 >= 2 && first_429 <= 4)); then
  ok "attempt $first_429 refused with 429 (each node had seen at most $(((first_429 - 1 + 2) / 3)) before it)"
else
  fail "no 429 within the first 4 attempts (shared throttle expected)"
fi

# --- 3b. rate limits ----------------------------------------------------------------

step "consent decisions from one address, spread over the 3 nodes, meet one limit (300 a minute)"
# 600 decisions from one address, round-robin straight to the nodes: each
# node sees 200, under the limit, so per-node counting would admit all 600;
# the nodes share their counts through the store (reported every second) and
# admit about 300 in all. The window is the clock's minute, which may roll
# over during the loop: admissions are counted per minute.
admitted=0; refused=(0 0 0 0); declare -A per_minute=()
for attempt in $(seq 1 600); do
  n=$(((attempt - 1) % 3 + 1))
  code=$(curl -sS -o /dev/null -w '%{http_code}' -m 5 -H "Host: $HOST" -H "Origin: $ORIGIN" -H 'X-Forwarded-For: 198.51.100.77' \
    -H 'Content-Type: application/json' -d '{"granted":[],"language":"en"}' "$(node_url "$n")/api/consent")
  case $code in
    201) admitted=$((admitted + 1)); minute=$(date -u +%H%M); per_minute[$minute]=$((${per_minute[$minute]:-0} + 1)) ;;
    429) refused[n]=$((refused[n] + 1)) ;;
    *) fail "consent from one address on node $n: $code" ;;
  esac
done
most=0; for minute in "${!per_minute[@]}"; do ((per_minute[$minute] > most)) && most=${per_minute[$minute]}; done
echo "    admitted $admitted of 600 (at most $most in one minute); refused by node 1/2/3: ${refused[1]}/${refused[2]}/${refused[3]}"
# When the loop spans minutes (a slow machine), a node may see no refusal:
# what proves the sharing is that no minute admitted far beyond one limit
# (each node alone would admit up to 300 a minute) and that some were refused.
total_refused=$((refused[1] + refused[2] + refused[3]))
if ((most < 450 && total_refused > 0)); then
  ok "one address's limit is shared: at most $most admitted in a minute (up to 900 without sharing), $total_refused refused"
else
  fail "rate limit not shared across nodes: $admitted of 600 admitted"
fi

# --- 5. throughput with 1, 2 and 3 nodes ------------------------------------------

# One visitor's consent cookies, for the load's events and reads.
curl -sS -D "$WORK/visitor.headers" -o /dev/null -H "Host: $HOST" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
  -d '{"granted":["statistics"],"language":"en"}' "$ORIGIN/api/consent"
VISITOR=$(cookies_from "$WORK/visitor.headers")
[[ -n $VISITOR ]] || fail "no consent cookie from POST /api/consent"
export CRUMB_ORIGIN="$ORIGIN" CRUMB_COOKIE="$VISITOR"
# The load's events must be stored (202), not dropped (204): check one.
UA="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
code=$(curl -sS -o /dev/null -w '%{http_code}' -D "$WORK/event.headers" -H "Host: $HOST" -H "Origin: $ORIGIN" \
  -H "User-Agent: $UA" -H "Cookie: $VISITOR" -H 'Content-Type: application/json' \
  -d "{\"name\":\"pageview\",\"url\":\"$ORIGIN/\"}" "$ORIGIN/api/event")
[[ $code == 202 ]] && ok "an event with the visitor's consent cookies is stored (202)" ||
  fail "an event with consent answered $code $(tr -d '\r' <"$WORK/event.headers" | grep -i '^x-crumb-dropped' || true)"

# Runs wrk for $1 seconds; prints its RESULT line's fields.
load() {
  wrk -t2 -c32 -d"${1}s" --timeout 5s -s "$ROOT/deploy/cluster/mixed.lua" "$ORIGIN/" 2>&1 | grep '^RESULT' | cut -d' ' -f2-
}
field() { sed -E "s/.*$1=([^ ]+).*/\1/" <<<"$2"; }

step "throughput: the same mixed load (wrk -t2 -c32, ${PHASE} s) with 1, 2 and 3 nodes behind the balancer"
declare -A RESULT=()
for nodes in 1 2 3; do
  for n in 1 2 3; do
    if ((n <= nodes)); then haproxy_cmd "set server nodes/n$n state ready"; else haproxy_cmd "set server nodes/n$n state maint"; fi
  done
  sleep 1.5
  RESULT[$nodes]=$(load "$PHASE")
  echo "    $nodes node(s): ${RESULT[$nodes]}"
done
for n in 1 2 3; do haproxy_cmd "set server nodes/n$n state ready"; done

# --- 1. the kill ---------------------------------------------------------------------

step "kill -9 node 2 under load (${KILL_PHASE} s of wrk), restart it; consents and events posted one by one meanwhile"
load "$KILL_PHASE" >"$WORK/kill-load.txt" &
LOAD_PID=$!
# The acknowledged decisions: every 201's receipt, posted through the balancer;
# and after each, an event of the consenting visitor on a page of its own
# (/kill-check/N), whose 202s are counted.
: >"$WORK/receipts"
: >"$WORK/events-acknowledged"
(
  n=0
  while [[ ! -e "$WORK/stop" ]]; do
    read -r code receipt < <(post_consent "$ORIGIN")
    if [[ $code == 201 && $receipt != - ]]; then echo "$receipt" >>"$WORK/receipts"; else echo "$code" >>"$WORK/refused"; fi
    n=$((n + 1))
    code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "Host: $HOST" -H "Origin: $ORIGIN" -H "User-Agent: $UA" \
      -H "Cookie: $VISITOR" -H 'Content-Type: application/json' \
      -d "{\"name\":\"pageview\",\"url\":\"$ORIGIN/kill-check/$n\"}" "$ORIGIN/api/event" 2>/dev/null || echo 000)
    if [[ $code == 202 ]]; then echo "$n" >>"$WORK/events-acknowledged"; fi
  done
) &
POSTER=$!
sleep $((KILL_PHASE / 3))
kill -9 "${NODE_PID[2]}"
wait "${NODE_PID[2]}" 2>/dev/null || true
echo "    $(date +%T) node 2 killed (SIGKILL) after $(wc -l <"$WORK/receipts") acknowledged consents"
sleep $((KILL_PHASE / 3))
start_node 2
wait_ready 2
echo "    $(date +%T) node 2 restarted and ready"
wait "$LOAD_PID" || true
touch "$WORK/stop"
wait "$POSTER" || true
echo "    load during the kill: $(cat "$WORK/kill-load.txt")"
refused=$( [[ -e "$WORK/refused" ]] && wc -l <"$WORK/refused" || echo 0)
echo "    one-by-one consents: $(wc -l <"$WORK/receipts") acknowledged (201), $refused not acknowledged"
echo "    one-by-one events: $(wc -l <"$WORK/events-acknowledged") acknowledged (202)"

step "every acknowledged receipt reads back through every node directly"
total=$(wc -l <"$WORK/receipts")
((total > 0)) || fail "no consent was acknowledged during the kill"
for n in 1 2 3; do
  # One curl for all receipts: a config file with one URL and output each.
  awk -v base="$(node_url "$n")" '{print "url = \"" base "/api/consent/" $1 "\"\noutput = \"/dev/null\""}' \
    "$WORK/receipts" >"$WORK/read$n.curl"
  found=$(curl -sS -H "Host: $HOST" -w '%{http_code}\n' -K "$WORK/read$n.curl" | grep -c '^200$' || true)
  if ((found == total)); then ok "node $n: $found/$total receipts found"; else fail "node $n: only $found/$total receipts found"; fi
done

step "every acknowledged event is in the store"
acknowledged_events=$(wc -l <"$WORK/events-acknowledged")
((acknowledged_events > 0)) || fail "no event was acknowledged during the kill"
stored_events=$(psql -qtAX "$CRUMB_POSTGRES_URL" -c "SELECT count(DISTINCT path) FROM analytics_events WHERE path LIKE '/kill-check/%'")
missing_events=$(psql -qtAX "$CRUMB_POSTGRES_URL" -c "SELECT count(*) FROM unnest(string_to_array('$(paste -sd, "$WORK/events-acknowledged")', ',')) AS n
  WHERE NOT EXISTS (SELECT 1 FROM analytics_events WHERE path = '/kill-check/' || n)")
if ((missing_events == 0)); then
  ok "all $acknowledged_events acknowledged events stored ($stored_events pages /kill-check/N in the store)"
else
  fail "$missing_events of $acknowledged_events acknowledged events are not in the store"
fi

# --- 4 (continued). rollups ran, one node at a time -------------------------------------

step "rollup runs once the lock was free (the nodes' runs, in time order)"
for n in 1 2 3; do
  jq -rR --arg n "$n" 'fromjson? | select(.fields.message? // "" | test("^rollup")) | "    \(.timestamp[11:19]) node \($n): \(.fields.message)"' \
    "$WORK/node$n.log" 2>/dev/null || true
done | sort
for n in 1 2 3; do
  done_count=$(grep -c '"rollup done"' "$WORK/node$n.log" || true)
  echo "    node $n: $done_count run(s) done, $(grep -c 'rollup skipped' "$WORK/node$n.log" || true) skipped"
done
# Node 2's restart ran the job at once, the lock being free by then (unless
# another node's run held it at that very moment: then it skipped).
if grep -q '"rollup done"' "$WORK"/node?.log; then ok "rollups ran after the lock was released"; else fail "no node rolled up"; fi

step "what the store holds (the load's writes were recorded, not dropped)"
consents=$(psql -qtAX "$CRUMB_POSTGRES_URL" -c "SELECT count(*) FROM consent_records")
events=$(psql -qtAX "$CRUMB_POSTGRES_URL" -c "SELECT count(*) FROM analytics_events")
echo "    consent records: $consents, raw analytics events: $events"
((events > 0)) && ok "events recorded" || fail "no analytics event recorded (all dropped?)"

# --- the table ---------------------------------------------------------------------------

step "throughput table (everything on this machine: $(nproc) cores; $(basename "$CRUMB_BIN") at $CRUMB_BIN)"
printf '    | nodes | requests/s | p50 ms | p99 ms | not 2xx/3xx | socket errors |\n'
printf '    |------:|-----------:|-------:|-------:|------------:|--------------:|\n'
for nodes in 1 2 3; do
  r=${RESULT[$nodes]}
  rps=$(awk -v q="$(field requests "$r")" -v s="$(field seconds "$r")" 'BEGIN {printf "%.0f", q / s}')
  printf '    | %5s | %10s | %6s | %6s | %11s | %13s |\n' "$nodes" "$rps" "$(field p50_ms "$r")" "$(field p99_ms "$r")" \
    "$(field non2xx "$r")" "$(field socket_errors "$r")"
done

if ((FAILED)); then
  echo
  echo "SOME CHECKS FAILED"
  exit 1
fi
echo
echo "all checks passed"
