#!/usr/bin/env bash
# Two builds of flashsale measured in one run, alternating, so that what the machine is doing
# at the time weighs on both alike: the store benchmark, a fixed in-process simulation (time
# and peak memory) and serve's HTTP benchmark, each round running BASE then HEAD, then HEAD
# then BASE, and so on. Prints each figure side by side: the median of the rounds, the
# spread (min-max), and HEAD's ratio to BASE.
#
#   scripts/bench-compare.sh BASE [HEAD]        # revisions: commits, tags, branches (HEAD: HEAD)
#   BENCH_ROUNDS=4 scripts/bench-compare.sh main~3
#   BENCH_ONLY=simulate scripts/bench-compare.sh v0.1.0 my-branch   # store, simulate, serve
#
# Each revision is checked out in its own worktree and built in its own target directory
# (seeded from ./target when there is one, so only the crate itself is compiled twice). The
# serve benchmark needs redis-server, redis-benchmark, wrk and python3 (Debian: apt-get install
# -y redis-server wrk python3); it is skipped with a notice when one is missing.
#
# Tuning (environment): BENCH_ROUNDS (default 3), BENCH_ONLY (comma-separated parts),
# BENCH_SIM_USERS (default "20000 1000000"), BENCH_STORE_CLAIMS (claims per store-bench
# scenario, default 30000), BENCH_SERVE_LEVELS (default "1000"), BENCH_SERVE_SECONDS
# (default 8), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

[ $# -ge 1 ] && [ $# -le 2 ] || {
  echo "usage: scripts/bench-compare.sh BASE [HEAD]" >&2
  exit 2
}
base_rev=$(git rev-parse --verify --quiet "$1^{commit}") || {
  echo "bench-compare: \`$1\` is not a revision of this repository" >&2
  exit 2
}
head_rev=$(git rev-parse --verify --quiet "${2:-HEAD}^{commit}") || {
  echo "bench-compare: \`${2:-HEAD}\` is not a revision of this repository" >&2
  exit 2
}
rounds=${BENCH_ROUNDS:-3}
only=${BENCH_ONLY:-store,simulate,serve}
sim_users=${BENCH_SIM_USERS:-"20000 1000000"}
store_claims=${BENCH_STORE_CLAIMS:-30000}
serve_levels=${BENCH_SERVE_LEVELS:-1000}
serve_seconds=${BENCH_SERVE_SECONDS:-8}
for part in ${only//,/ }; do
  case $part in
    store | simulate | serve) ;;
    *) echo "bench-compare: BENCH_ONLY names \`$part\`; the parts are store, simulate, serve" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

say() { printf 'bench-compare: %s\n' "$*" >&2; }
work=$(mktemp -d)
cleanup() {
  for rev in base head; do git -C "$repo" worktree remove --force "$work/src-$rev" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Build one revision: the binary and the store benchmark, in a target directory of its own.
build() {
  local name=$1 rev=$2 src="$work/src-$1" target="$work/target-$1"
  git -C "$repo" worktree add --quiet --detach "$src" "$rev"
  if [ -d "$repo/target/release" ]; then
    mkdir -p "$target" && cp -r "$repo/target/release" "$target/release"
  fi
  say "building $name ($(git -C "$repo" log -1 --format='%h %s' "$rev" | cut -c1-70))"
  (cd "$src" && CARGO_TARGET_DIR=$target cargo build --locked --release --quiet)
  cp "$target/release/flashsale" "$work/flashsale-$name"
  if wants store; then
    (cd "$src" && CARGO_TARGET_DIR=$target cargo bench --locked --bench claims --no-run \
      --message-format=json 2>/dev/null) |
      python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "claims" and m.get("executable"):
        print(m["executable"])' >"$work/bench-$name.path"
  fi
}
build base "$base_rev"
build head "$head_rev"

results="$work/results.tsv" # part, metric, revision, round, value
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# The store benchmark at 10,000 concurrent claimers: claims/s and p99, and its ratio to raw
# SQLite at 1,000 claims per transaction, measured in the same process.
store_bench() {
  local name=$1 round=$2 out="$work/store-$1-$2.txt" binary
  binary=$(cat "$work/bench-$name.path")
  FLASHSALE_BENCH_CLAIMERS=1,10000 FLASHSALE_BENCH_ROUNDS=1 FLASHSALE_BENCH_CLAIMS=$store_claims \
    FLASHSALE_BENCH_DIR="$work" "$binary" --bench >"$out" 2>/dev/null || {
    say "store bench of $name failed (round $round)"
    return 0
  }
  python3 - "$out" "$name" "$round" >>"$results" <<'PY'
import re, sys
path, name, rnd = sys.argv[1:]
rows = {}
for line in open(path, encoding="utf-8"):
    cells = [c.strip() for c in re.split(r"[│┆|]", line) if c.strip()]
    if len(cells) == 7 and cells[0].startswith("("):
        rows[cells[0]] = cells
def row(prefix, text):
    return next((cells for label, cells in rows.items() if label.startswith(prefix) and text in label), None)
raw_single, raw_batched = row("(a)", ""), row("(b)", "1,000 claims/txn")
many, one = row("(c)", ", 10000 claimers"), row("(c)", ", 1 claimers")
out = lambda metric, value: print(f"store\t{metric}\t{name}\t{rnd}\t{value}")
if many:
    out("10,000 claimers: claims/s", many[3])
    out("10,000 claimers: p99 ms", many[5])
    if raw_batched:
        out("10,000 claimers / raw 1,000 per txn", f"{float(many[3]) / float(raw_batched[3]):.3f}")
if one and raw_single:
    out("1 claimer / raw 1 claim per txn", f"{float(one[3]) / float(raw_single[3]):.3f}")
PY
}

# The in-process simulation: wall time and peak RSS of the whole command.
simulate() {
  local name=$1 round=$2 users=$3 inventory binary="$work/flashsale-$1" extra=()
  inventory=$([ "$users" -le 20000 ] && echo "$users" || echo 1000)
  # Older builds lack the lifecycle flags; where they exist, the run makes claims only.
  if "$binary" simulate --help 2>/dev/null | grep -q -- '--redeem-ratio'; then extra=(--redeem-ratio 0); fi
  local timing="$work/time-$name-$round-$users"
  if /usr/bin/time -f '%e %M' -o "$timing" "$binary" --store "sqlite:$work/sim-$name-$round-$users.db" \
    --output json simulate --users "$users" --inventory "$inventory" --tabs 1 --duplicate-ratio 0 \
    --seed 1 "${extra[@]}" >/dev/null 2>&1; then
    read -r seconds kib <"$timing"
    record simulate "$users users: seconds" "$name" "$round" "$seconds"
    record simulate "$users users: peak RSS MiB" "$name" "$round" "$(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}')"
  else
    say "simulate --users $users of $name failed (round $round)"
  fi
  rm -f "$work/sim-$name-$round-$users.db"*
}

# serve over loopback HTTP (scripts/bench-serve.sh of HEAD's tree, given each binary):
# claims/s, serve's CPU per claim, and per request of its no-op route, the floor.
serve_bench() {
  local name=$1 round=$2 out="$work/serve-$1-$2.txt"
  BENCH_FLASHSALE="$work/flashsale-$name" BENCH_LEVELS="$serve_levels" BENCH_SECONDS="$serve_seconds" \
    BENCH_REDIS_REQUESTS=50000 bash "$work/src-head/scripts/bench-serve.sh" >"$out" 2>/dev/null || {
    say "serve bench of $name failed (round $round)"
    return 0
  }
  python3 - "$out" "$name" "$round" >>"$results" <<'PY'
import re, sys
path, name, rnd = sys.argv[1:]
for line in open(path, encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 12 or not cells[0].isdigit():
        continue
    level = f"{int(cells[0]):,} connections"
    number = lambda text: re.sub(r"[^0-9.]", "", text.split(",")[0].split("/")[0]) or "nan"
    out = lambda metric, value: print(f"serve\t{level}: {metric}\t{name}\t{rnd}\t{value}")
    out("claims/s", number(cells[4]))
    out("CPU µs per claim", number(cells[7]))
    out("GET /healthz CPU µs per request", number(cells[11]))
    claim_us, floor_us = float(number(cells[7])), float(number(cells[11]))
    if floor_us > 0:
        out("claim CPU / no-op route CPU", f"{claim_us / floor_us:.2f}")
PY
}

serve_ready=1
if wants serve; then
  for tool in redis-server redis-benchmark wrk python3; do
    command -v "$tool" >/dev/null || { say "no $tool: skipping serve's benchmark"; serve_ready=; }
  done
fi

for round in $(seq "$rounds"); do
  # ABAB...: the revision that goes first alternates, so neither always runs on a warm machine.
  if [ $((round % 2)) -eq 1 ]; then order="base head"; else order="head base"; fi
  for name in $order; do
    say "round $round of $rounds: $name"
    if wants store; then store_bench "$name" "$round"; fi
    if wants simulate; then for users in $sim_users; do simulate "$name" "$round" "$users"; done; fi
    if wants serve && [ -n "$serve_ready" ]; then serve_bench "$name" "$round"; fi
  done
done

[ -s "$results" ] || { say "nothing was measured"; exit 1; }
python3 - "$results" "$(git -C "$repo" log -1 --format=%h "$base_rev")" \
  "$(git -C "$repo" log -1 --format=%h "$head_rev")" "$rounds" <<'PY'
import statistics, sys
from collections import OrderedDict
path, base, head, rounds = sys.argv[1:]
values = OrderedDict()
for line in open(path, encoding="utf-8"):
    part, metric, name, _, value = line.rstrip("\n").split("\t")
    try:
        number = float(value)
    except ValueError:
        continue
    values.setdefault((part, metric), {"base": [], "head": []})[name].append(number)
def shown(xs):
    if not xs:
        return "n/a"
    fmt = (lambda x: f"{x:,.0f}") if max(xs) >= 100 else (lambda x: f"{x:.3g}")
    return f"{fmt(statistics.median(xs))} ({fmt(min(xs))}-{fmt(max(xs))})"
print(f"{rounds} rounds, alternating; median (min-max) of each revision, and HEAD / BASE of the medians\n")
print(f"| part | figure | BASE {base} | HEAD {head} | HEAD / BASE |")
print("|---|---|---:|---:|---:|")
for (part, metric), by in values.items():
    a, b = by["base"], by["head"]
    ratio = f"{statistics.median(b) / statistics.median(a):.2f}" if a and b and statistics.median(a) else "n/a"
    print(f"| {part} | {metric} | {shown(a)} | {shown(b)} | {ratio} |")
PY
