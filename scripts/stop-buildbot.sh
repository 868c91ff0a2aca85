#!/usr/bin/env bash
# Stops what start-buildbot.sh DIR started: the worker, then the master.
# Kills by pid (twistd.pid), waiting up to 10 s each, then SIGKILL.
set -uo pipefail
dir=$1
for part in worker master; do
  pidfile="$dir/$part/twistd.pid"
  [[ -f "$pidfile" ]] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
done
exit 0
