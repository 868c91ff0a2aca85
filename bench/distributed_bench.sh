#!/usr/bin/env bash
# Figures for several hosts (a benchmark, not a timed test), each measured
# in this run beside its baseline:
#  - patchsets a minute through the whole cycle with instant CI jobs (the
#    sandbox's local CI, the eleven scenarios and BULK bulk bugs): autoland
#    run on SQLite with the in-process bus (the baseline), then the
#    distributed sandbox (PostgreSQL, RabbitMQ, worker processes) with 1
#    pusher and with 2;
#  - failover: kill -9 of a pusher mid-push until its patchset moves again,
#    kill -9 of the trigger's leader until another leads;
#  - GET /queue p50/p99 under 50 clients (autoland_api_load, reads and
#    writes mixed) against the SQLite store and against PostgreSQL.
# Usage: distributed_bench.sh BUILD_DIR [BULK] [CLIENTS] [SECONDS]
set -u
build=${1:?usage: distributed_bench.sh BUILD_DIR [BULK] [CLIENTS] [SECONDS]}
bulk=${2:-200} clients=${3:-50} seconds=${4:-10}
bin=$build/autoland load=$build/tests/autoland_api_load
source "$(dirname "$0")/../tests/e2e/lib.sh"
work=$(mktemp -d)
chmod o+x "$work"  # the sandbox's PostgreSQL runs as the postgres account
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Patchsets a minute from a run's "throughput:" line.
per_minute() { sed -n 's/^throughput: .*: \([0-9]*\) a minute.*/\1/p' "$1" | tail -1; }

run() {  # NAME ARGS...: a whole sandbox run, its output kept
  local name=$1
  shift
  echo "== $name: autoland sandbox $*" >&2
  "$bin" sandbox --timeout 900 "$@" >"$work/$name.out" 2>&1 || {
    echo "FAIL: $name" >&2
    tail -30 "$work/$name.out" >&2
    exit 1
  }
}
run sqlite --bulk "$bulk"
run one_pusher --distributed --bulk "$bulk" --pushers 1
run two_pushers --distributed --bulk "$bulk" --pushers 2 --measure-failover

# GET /queue under load against a running sandbox's API.
queue_latency() {  # NAME OUT ARGS...: "P50 P99" into OUT
  local name=$1 result=$2
  shift 2
  keep_sandbox "$bin" "$work/$name-up.out" "$work/$name" "$@"
  [[ -n "$sandbox_url" ]] || { echo "FAIL: $name did not come up" >&2; tail -20 "$work/$name-up.out" >&2; exit 1; }
  "$load" "$sandbox_url" "$(cat "$work/$name/api-token")" "$clients" "$seconds" >"$work/$name-load.out" 2>&1 ||
    { echo "FAIL: load on $name" >&2; tail -20 "$work/$name-load.out" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
  pid=
  grep '^GET /queue ' "$work/$name-load.out" | awk '{print $4, $5}' >"$result"
}
queue_latency sqlite_api "$work/sqlite.latency"
queue_latency pg_api "$work/pg.latency" --distributed
read -r sqlite_p50 sqlite_p99 <"$work/sqlite.latency"
read -r pg_p50 pg_p99 <"$work/pg.latency"

base=$(per_minute "$work/sqlite.out")
one=$(per_minute "$work/one_pusher.out")
two=$(per_minute "$work/two_pushers.out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "patchsets a minute through the whole cycle ($((bulk + 11)) bugs, instant CI jobs):"
printf '  %-46s %6s  %s\n' "autoland run, SQLite, in-process bus (baseline)" "$base" "1.00x"
printf '  %-46s %6s  %sx\n' "distributed: PostgreSQL, RabbitMQ, 1 pusher" "$one" "$(ratio "$one" "$base")"
printf '  %-46s %6s  %sx\n' "distributed: PostgreSQL, RabbitMQ, 2 pushers" "$two" "$(ratio "$two" "$base")"
echo "failover (workers.failover_seconds = 3 in the sandbox):"
sed -n 's/^failover: /  /p' "$work/two_pushers.out"
echo "GET /queue under $clients clients for $seconds s (ms, p50 / p99):"
printf '  %-46s %6s / %s\n' "SQLite store" "$sqlite_p50" "$sqlite_p99"
printf '  %-46s %6s / %s   (p99 %sx SQLite'"'"'s)\n' "PostgreSQL store" "$pg_p50" "$pg_p99" "$(ratio "$pg_p99" "$sqlite_p99")"
