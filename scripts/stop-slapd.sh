#!/usr/bin/env bash
# Stops what start-slapd.sh DIR started (by its pid file; SIGKILL after 5 s).
set -uo pipefail
pidfile="$1/slapd.pid"
[[ -f "$pidfile" ]] || exit 0
pid=$(cat "$pidfile")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
exit 0
