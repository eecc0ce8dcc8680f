#!/usr/bin/env bash
# The HTTP benchmark, one command: Redis 7 + the Lua claim script (appendfsync always) driven
# by redis-benchmark, against `flashsale serve` on SQLite (synchronous=FULL) driven over
# loopback HTTP by wrk, at 50, 1,000 and 10,000 concurrent connections. Both servers listen on
# free loopback ports and are stopped by pid. Each level also loads serve's no-op route
# (`GET /healthz`) the same way: the floor of the HTTP path on the machine, measured in the same
# run. Prints one Markdown table.
#
#   scripts/bench-serve.sh            # needs redis-server, redis-benchmark, wrk, python3
#   BENCH_SECONDS=10 BENCH_LEVELS="50 1000 10000" scripts/bench-serve.sh
#   BENCH_FLASHSALE=/tmp/flashsale-before scripts/bench-serve.sh   # a given binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_SECONDS:-10}
levels=${BENCH_LEVELS:-"50 1000 10000"}
redis_requests=${BENCH_REDIS_REQUESTS:-200000}
threads=${BENCH_THREADS:-2} # wrk threads: one per core of the 2-core machine it was made on
for tool in redis-server redis-cli redis-benchmark wrk python3; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool (Debian: apt-get install -y redis-server wrk python3)" >&2
    exit 1
  }
done
# A socket per connection on both ends, plus the store's files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt 10500 ]; then
  echo "warning: open-files limit $(ulimit -n); 10,000 connections need about 10,100 per process" >&2
fi

# BENCH_FLASHSALE=path runs another build (e.g. a copy of the binary before a change), so two
# builds can be measured back to back on the same loaded machine.
if [ -n "${BENCH_FLASHSALE:-}" ]; then
  flashsale=$BENCH_FLASHSALE
else
  cargo build --locked --release --quiet
  flashsale=$PWD/target/release/flashsale
fi
work=$(mktemp -d)
redis_pid= serve_pid=
cleanup() {
  for pid in $redis_pid $serve_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Redis: the append-only file fsynced on every write, as a claim must be durable.
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work" --save '' \
  --appendonly yes --appendfsync always --maxclients 20000 --daemonize no \
  >"$work/redis.log" 2>&1 &
redis_pid=$!
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
sha=$(redis-cli -p "$redis_port" SCRIPT LOAD "$(cat benches/redis-claim.lua)")

# serve, with a throw-away key and store; the shoppers' tokens minted for that key.
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export FLASHSALE_JWT_SECRET=$secret
store="sqlite:$work/serve.db"
# serve opens an existing store only: the campaigns (one per level) come first.
for c in $levels; do
  "$flashsale" --store "$store" campaign create --id "bench-$c" --name "bench $c" \
    --inventory 1000000000 --percent-off 10 --max-discount 5 --min-cart 20 --duration 2h \
    >/dev/null 2>&1
done
# The defaults, --max-in-flight included: 10,000 connections must be held without an error.
"$flashsale" --store "$store" serve --listen 127.0.0.1:0 --output json \
  >"$work/serve.out" 2>/dev/null &
serve_pid=$!
address=
until [ -n "$address" ]; do
  kill -0 "$serve_pid" 2>/dev/null || { echo "serve did not start" >&2; exit 1; }
  sleep 0.1
  address=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$work/serve.out")
done
tokens=${BENCH_TOKENS_COUNT:-600000}
python3 - "$secret" "$tokens" >"$work/tokens" <<'PY'
import base64, hashlib, hmac, json, sys, time
secret, count = sys.argv[1].encode(), int(sys.argv[2])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
now = int(time.time())
out = []
for i in range(count):
    body = b64(json.dumps({"sub": f"bench-{i}", "iat": now, "nbf": now - 5, "exp": now + 3600}).encode())
    signing = head + b"." + body
    out.append((signing + b"." + b64(hmac.new(secret, signing, hashlib.sha256).digest())).decode())
print("\n".join(out))
PY

port=${address##*:}
ticks=$(getconf CLK_TCK)
# A process's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "| connections | Redis + Lua claims/s | Redis p99 ms | redis-benchmark CPU (of 2 cores) | serve claims/s | serve / Redis | serve p50 / p99 | serve CPU per claim | serve errors | wrk CPU (of 2 cores) | serve GET /healthz req/s, p99 | its CPU per request |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $levels; do
  redis-cli -p "$redis_port" FLUSHALL >/dev/null
  redis-cli -p "$redis_port" SET remaining 1000000000 >/dev/null
  redis_csv=$(/usr/bin/time -f 'rb-cpu %e %U %S' -o "$work/rb-time" \
    redis-benchmark -p "$redis_port" -c "$c" -n "$redis_requests" -r 100000000 --csv \
    EVALSHA "$sha" 0 user:__rand_int__ tok:__rand_int__ | tail -1)
  redis_rps=$(echo "$redis_csv" | awk -F'","' '{printf "%.0f", $2}')
  redis_p99=$(echo "$redis_csv" | awk -F'","' '{print $7}')
  rb_cpu=$(awk '$1 == "rb-cpu" {printf "%.0f %%", ($3 + $4) / ($2 + 0.0001) * 100 / 2}' "$work/rb-time")

  campaign="bench-$c"
  # What the load generator itself burns while it loads the server: wrk first formats every
  # request (init), then connects; its CPU is counted from the first connection on.
  BENCH_TOKENS="$work/tokens" BENCH_CAMPAIGN="$campaign" BENCH_THREADS="$threads" \
    /usr/bin/time -f 'wrk-cpu %e %U %S' -o "$work/wrk-time" wrk -t "$threads" -c "$c" -d "${seconds}s" --timeout 30s --latency \
    -s benches/serve-claim.lua "http://$address" >"$work/wrk-$c.txt" &
  time_pid=$!
  wrk_pid=
  until [ -n "$wrk_pid" ]; do sleep 0.01; wrk_pid=$(pgrep -P "$time_pid" || true); done
  until ss -Htn state established "( sport = :$port )" | grep -q .; do sleep 0.01; done
  wrk_before=$(cpu_ticks "$wrk_pid")
  serve_before=$(cpu_ticks "$serve_pid")
  wait "$time_pid"
  serve_after=$(cpu_ticks "$serve_pid")
  out=$(cat "$work/wrk-$c.txt")
  claimed=$("$flashsale" --store "$store" --output json campaign status "$campaign" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["claimed"])')
  elapsed=$(echo "$out" | sed -n 's/.*requests in \([0-9.]*\)\(m\?s\).*/\1 \2/p')
  serve_rps=$(python3 -c "v, u = '$elapsed'.split(); s = float(v) / (1000 if u == 'ms' else 1); print(round($claimed / s))")
  ratio=$(python3 -c "print(f'{100 * $serve_rps / $redis_rps:.0f} %')")
  serve_us=$(python3 -c "print(f'{($serve_after - $serve_before) / $ticks / max($claimed, 1) * 1e6:.1f} µs')")
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p')
  sockets=$(echo "$out" | sed -n 's/.*Socket errors: \(.*\)/\1/p')
  errors="${non2xx:-0} non-2xx${sockets:+; socket $sockets}"
  wrk_cpu=$(awk -v before="$wrk_before" -v ticks="$ticks" -v s="$seconds" \
    '$1 == "wrk-cpu" {printf "%.0f %%", (($3 + $4) - before / ticks) / s * 100 / 2}' "$work/wrk-time")

  # The floor of the HTTP path on this machine: the same server, wrk and connections on the
  # route that does nothing (no token, no body, no store). What a claim costs above it is the
  # claim's own work; what it costs up to it, no claim can avoid.
  floor_before=$(cpu_ticks "$serve_pid")
  floor=$(wrk -t "$threads" -c "$c" -d "${seconds}s" --timeout 30s --latency "http://$address/healthz")
  floor_after=$(cpu_ticks "$serve_pid")
  floor_requests=$(echo "$floor" | awk '/requests in/ {print $1}')
  floor_rps=$(echo "$floor" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  floor_p99=$(echo "$floor" | awk '$1 == "99%" {print $2}')
  floor_us=$(python3 -c "print(f'{($floor_after - $floor_before) / $ticks / max($floor_requests, 1) * 1e6:.1f} µs')")
  echo "| $c | $redis_rps | $redis_p99 | $rb_cpu | $serve_rps | $ratio | $p50 / $p99 | $serve_us | $errors | $wrk_cpu | $floor_rps, $floor_p99 | $floor_us |"
done

kill -TERM "$serve_pid"
status=0
wait "$serve_pid" || status=$?
serve_pid=
[ "$status" -eq 0 ] || { echo "serve exited $status after SIGTERM" >&2; exit 1; }
