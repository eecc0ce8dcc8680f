#!/usr/bin/env bash
# A throw-away FerretDB v1.24.2 (MongoDB wire protocol, SQLite backend) on loopback, for the
# MongoDB store's integration tests. FerretDB's updates are not atomic under concurrency: use it
# to prove the store works over the real driver, one request at a time, never to prove
# concurrency (docs/ARCHITECTURE.md, "How it is proven").
#
#   uri=$(scripts/ferretdb.sh start DIR)   # prints only mongodb://127.0.0.1:PORT/ on stdout
#   scripts/ferretdb.sh stop DIR
#
# DIR receives data/, state/, ferretdb.pid and ferretdb.log. Progress goes to stderr.
set -euo pipefail

VERSION=v1.24.2
MODULE=github.com/FerretDB/FerretDB

say() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# `go install .../cmd/ferretdb@v1.24.2` builds a binary that panics at start-up, because the
# module as published lacks build/version/version.txt. So a candidate only counts if it runs,
# and we otherwise build from the module's source with that file written in.
works() { [[ -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

find_ferretdb() {
    local candidates=()
    if command -v ferretdb >/dev/null 2>&1; then candidates+=("$(command -v ferretdb)"); fi
    if command -v go >/dev/null 2>&1; then candidates+=("$(go env GOPATH)/bin/ferretdb"); fi
    candidates+=("$CACHE/ferretdb")
    local bin
    for bin in "${candidates[@]}"; do
        if works "$bin"; then printf '%s\n' "$bin"; return 0; fi
    done
    return 1
}

build_ferretdb() {
    command -v go >/dev/null 2>&1 || die "FerretDB is not installed and Go is not available to build it"
    say "building FerretDB $VERSION into $CACHE (once)"
    local src tmp
    src=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -n "$src" && -d "$src" ]] || die "could not download $MODULE@$VERSION"
    tmp=$(mktemp -d)
    cp -R "$src/." "$tmp/"
    chmod -R u+w "$tmp"
    printf '%s\n' "$VERSION" >"$tmp/build/version/version.txt"
    mkdir -p "$CACHE"
    (cd "$tmp" && GOFLAGS=-mod=mod go build -o "$CACHE/ferretdb" ./cmd/ferretdb) >&2
    rm -rf "$tmp"
    works "$CACHE/ferretdb" || die "the FerretDB built in $CACHE does not run"
    printf '%s\n' "$CACHE/ferretdb"
}

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A loopback port nobody listens on: the kernel's pick when python3 is there, else a random
# one from the dynamic range that refuses connections.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    for _ in $(seq 1 50); do
        port=$((49152 + RANDOM % 16000))
        if ! accepts "$port"; then printf '%s\n' "$port"; return; fi
    done
    die "found no free loopback port"
}

start() {
    local dir=$1 bin port debug_port pid
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ -f "$dir/ferretdb.pid" ]] && kill -0 "$(cat "$dir/ferretdb.pid")" 2>/dev/null; then
        die "FerretDB already runs for $dir (pid $(cat "$dir/ferretdb.pid")): stop it first"
    fi
    bin=$(find_ferretdb) || bin=$(build_ferretdb)
    mkdir -p "$dir/data" "$dir/state"
    port=$(free_port)
    debug_port=$(free_port)
    "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" \
        --listen-addr="127.0.0.1:$port" --debug-addr="127.0.0.1:$debug_port" \
        --state-dir="$dir/state" --telemetry=disable --log-level=WARN \
        >"$dir/ferretdb.log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$dir/ferretdb.pid"
    for _ in $(seq 1 100); do
        if accepts "$port"; then
            say "FerretDB $VERSION listening on 127.0.0.1:$port (pid $pid, log $dir/ferretdb.log)"
            printf 'mongodb://127.0.0.1:%s/\n' "$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/ferretdb.pid"
    tail -n 20 "$dir/ferretdb.log" >&2 || true
    die "FerretDB did not accept connections on 127.0.0.1:$port"
}

stop() {
    local dir=$1 pid
    [[ -f "$dir/ferretdb.pid" ]] || { say "no FerretDB pid file in $dir"; return 0; }
    pid=$(cat "$dir/ferretdb.pid")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/ferretdb.pid"
}

CACHE=${FLASHSALE_FERRETDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flashsale/ferretdb-$VERSION}

case "${1:-}" in
start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start DIR | $0 stop DIR" ;;
esac
