#!/usr/bin/env bash
# `autoland ctl` against `autoland sandbox --keep-running` (every component
# and the API in one process, after the eleven scenarios): the kill switch on
# holds a new landing (it waits, nothing is pushed), off lets it through try
# and onto mozilla-inbound; exit codes a script can rely on; then 50 clients
# at once against the running API (autoland_api_load: no errors, no torn
# state, p50/p99 printed). SIGTERM then stops the sandbox cleanly.
# Usage: api_test.sh PATH/TO/autoland PATH/TO/autoland_api_load [CLIENTS] [SECONDS]
set -u
bin=$1 load=$2 clients=${3:-50} seconds=${4:-10}
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -40 "$work/sandbox.out"; exit 1; }

"$bin" sandbox --keep-running --dir "$work/sb" >"$work/sandbox.out" 2>&1 &
pid=$!
for _ in $(seq 2400); do grep -q "Still running" "$work/sandbox.out" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
grep -q "every bug reached its expected end" "$work/sandbox.out" || fail "the sandbox scenarios did not end as expected"
export AUTOLAND_URL AUTOLAND_TOKEN
AUTOLAND_URL=$(sed -n 's/^  autoland API  \(http[^ ]*\).*/\1/p' "$work/sandbox.out")
AUTOLAND_TOKEN=$(cat "$work/sb/api-token")
[[ -n "$AUTOLAND_URL" && -n "$AUTOLAND_TOKEN" ]] || fail "no API address or token printed"
ctl() { "$bin" ctl "$@"; }
state() { ctl --json patchset show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

# Exit codes: 0 done, 1 refused, 3 unreachable.
ctl queue >/dev/null || fail "ctl queue"
ctl --token wrong queue 2>/dev/null; [[ $? -eq 1 ]] || fail "a wrong token must exit 1"
ctl patchset show 9999 2>/dev/null; [[ $? -eq 1 ]] || fail "an unknown patchset must exit 1"
ctl --url http://127.0.0.1:1 queue 2>/dev/null; [[ $? -eq 3 ]] || fail "an unreachable API must exit 3"
ctl health >/dev/null || fail "ctl health: $(ctl health)"

# The kill switch holds a new landing, and lets it go.
ctl killswitch on --reason "api_test" || fail "killswitch on"
id=$(ctl --json bug request 12 --branch mozilla-inbound --patch 120 --requester dana@example.org |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "bug request"
for _ in $(seq 100); do [[ "$(state "$id")" == "waiting" ]] && break; sleep 0.1; done
sleep 3  # several queue passes with the switch on
[[ "$(state "$id")" == "waiting" ]] || fail "with the kill switch on, patchset $id is $(state "$id"), not waiting"
ctl queue | grep -q "waiting" || fail "ctl queue does not show the waiting patchset"
[[ -z "$(hg log -R "$work/sb/try" -r "desc('Bug 12 -')" -T '{node}')" ]] || fail "pushed to try despite the kill switch"
ctl killswitch off || fail "killswitch off"
for _ in $(seq 900); do [[ "$(state "$id")" == "landed" ]] && break; sleep 0.1; done
[[ "$(state "$id")" == "landed" ]] || fail "after the kill switch went off, patchset $id is $(state "$id"), not landed"
[[ "$(hg log -R "$work/sb/mozilla-inbound" -r "desc('Bug 12 - Add j r=rita')" -T 'x')" == "x" ]] ||
  fail "bug 12 is not on mozilla-inbound exactly once"
ctl events --patchset "$id" | grep -q "user:sandbox-sheriff" || fail "the sheriff's request is not in the audit log"
echo "kill switch: held patchset $id while on, landed it after off"

# 50 clients at once against the running API.
"$load" "$AUTOLAND_URL" "$AUTOLAND_TOKEN" "$clients" "$seconds" || fail "the load test found errors or torn state"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc -eq 0 ]] || fail "the sandbox exited $rc on SIGTERM"
echo "PASS"
