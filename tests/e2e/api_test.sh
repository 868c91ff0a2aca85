#!/usr/bin/env bash
# `autoland ctl` against `autoland sandbox --keep-running` (every component
# and the API in one process, after the eleven scenarios): the kill switch on
# holds a new landing (it waits, nothing is pushed), off lets it through try
# and onto mozilla-inbound; exit codes a script can rely on; then 50 clients
# at once against the running API (autoland_api_load: no errors, no torn
# state, p50/p99 printed). SIGTERM then stops the sandbox cleanly.
# Usage: api_test.sh PATH/TO/autoland PATH/TO/autoland_api_load [CLIENTS] [SECONDS]
set -u
source "$(dirname "$0")/lib.sh"
bin=$1 load=$2 clients=${3:-50} seconds=${4:-10}
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -40 "$work/sandbox.out"; exit 1; }

keep_sandbox "$bin" "$work/sandbox.out" "$work/sb"
grep -q "every bug reached its expected end" "$work/sandbox.out" || fail "the sandbox scenarios did not end as expected"
export AUTOLAND_URL AUTOLAND_TOKEN
AUTOLAND_URL=$sandbox_url
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

# Branches, trees and patchsets from the command line.
ctl branch add beta --repo-url "$work/beta" --pretest-branch try --threshold 2 >/dev/null || fail "branch add"
ctl branch add beta --repo-url "$work/beta" 2>/dev/null; [[ $? -eq 1 ]] || fail "adding a branch twice must exit 1"
ctl branch threshold beta 5 >/dev/null || fail "branch threshold"
ctl branch disable beta >/dev/null || fail "branch disable"
ctl --json branch show beta | python3 -c '
import json, sys
b = json.load(sys.stdin)
assert b["threshold"] == 5 and b["status"] == "disabled" and b["pretest_branch"] == "try", b' || fail "branch show"
ctl branch delete beta >/dev/null || fail "branch delete"
ctl branch show beta 2>/dev/null; [[ $? -eq 1 ]] || fail "a deleted branch must be gone"
ctl tree mozilla-central closed --reason "api_test" >/dev/null || fail "tree closed"
ctl branch show mozilla-central | grep -q "tree_reason *api_test" || fail "the tree's reason is not shown"
ctl tree mozilla-central open >/dev/null || fail "tree open"
ctl patchset priority "$id" 7 >/dev/null || fail "patchset priority"
ctl patchset cancel "$id" 2>/dev/null; [[ $? -eq 1 ]] || fail "cancelling a landed patchset must be refused"
ctl bug show 12 | grep -q "landed" || fail "ctl bug show"
echo "ctl: branches, trees and patchsets as expected"

# 50 clients at once against the running API.
"$load" "$AUTOLAND_URL" "$AUTOLAND_TOKEN" "$clients" "$seconds" || fail "the load test found errors or torn state"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc -eq 0 ]] || fail "the sandbox exited $rc on SIGTERM"

# autoland serve with a tree-status service that does not answer: /health
# names it (the landings it holds), and ctl health exits 1.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=serve-token-$RANDOM
printf '{"people": []}' >"$work/people.json"
cat >"$work/serve.toml" <<TOML
[store]
url = "sqlite://$work/serve.db"
[bugzilla]
url = "http://127.0.0.1:1"
api_key = "unused"
[tree_status]
url = "http://127.0.0.1:1"
cache_seconds = 0
[directory]
file = "$work/people.json"
[api]
listen = "127.0.0.1:$port"
[[api.tokens]]
name = "ops"
role = "reader"
sha256 = "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
[[branches]]
name = "central"
repo_url = "$work/central"
pretest_branch = "try"
TOML
"$bin" --config "$work/serve.toml" db init >/dev/null || { echo "FAIL db init"; exit 1; }
"$bin" --config "$work/serve.toml" serve >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "autoland API on" "$work/serve.out" && break; sleep 0.1; done
health=$("$bin" ctl --url "http://127.0.0.1:$port" --token "$token" health)
rc=$?
echo "$health"
[[ $rc -eq 1 ]] || fail "ctl health must exit 1 when something is down (got $rc)"
echo "$health" | grep -q "tree_status .*DOWN.*central tree cannot be read.*held" || fail "/health does not name the tree status"
"$bin" ctl --url "http://127.0.0.1:$port" --token "$token" killswitch on 2>/dev/null
[[ $? -eq 1 ]] || fail "a reader token must not flip the kill switch"
kill -TERM "$pid"
wait "$pid" || fail "autoland serve did not stop cleanly"
pid=
echo "PASS"
