#!/usr/bin/env bash
# `autoland run` end to end: the sandbox Bugzilla (its own process), real hg
# remotes (central, and try as a non-publishing clone), the local CI and a
# file directory. Five tagged bugs: two try runs (green), a trunk landing
# through try (landed on central's tip), a landing without review
# (rejected), and a landing that breaks trunk only (backed out). Nobody
# touches anything after the tags are set: the bugs must end with exactly the
# right comments (one per event), markers removed, and central must hold each
# landing and the backout once. SIGTERM then stops it cleanly (exit 0).
#
# With KILLS > 0, `autoland run` is killed with SIGKILL at random moments
# KILLS times and restarted each time before it may finish.
# Usage: run_test.sh PATH/TO/autoland [KILLS]
set -u
bin=$1
kills=${2:-0}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [[ ${keep:-0} -eq 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export HGPLAIN=1
fail() { echo "FAIL: $*"; [[ -f "$work/run.log" ]] && tail -30 "$work/run.log"; exit 1; }

hg init "$work/central"
printf 'one\ntwo\n' >"$work/central/a.txt"
hg -R "$work/central" commit -q -A -m "base" -u "base <b@example.org>"
hg clone -q "$work/central" "$work/try"
printf '[phases]\npublish = False\n' >>"$work/try/.hg/hgrc"
patch() {  # patch FILE MESSAGE -> an hg export on central's base
  local wc="$work/wc-$RANDOM"
  hg clone -q -r 0 "$work/central" "$wc"
  echo "$1" >"$wc/$1"
  hg -R "$wc" commit -q -A -m "$2" -u "Dana Dev <dev@example.org>"
  hg -R "$wc" export -r tip
}
patch b.txt "Bug 1 - add b" >"$work/p1"
patch c.txt "Bug 2 - add c r=rita" >"$work/p2"
patch d.txt "Bug 3 - add d" >"$work/p3"
patch FAIL_ON_TRUNK "Bug 4 - breaks trunk only r=rita" >"$work/p4"
patch e.txt "Bug 5 - add e" >"$work/p5"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def bug(i, wb, att, reviewed):
    flags = [{"name": "review", "status": "+", "setter": "rita@example.org"}] if reviewed else []
    return {"id": i, "summary": "bug %d" % i, "creator": "dev@example.org", "whiteboard": wb,
            "whiteboard_set_by": "dev@example.org",
            "attachments": [{"id": att, "summary": "the fix", "data": open("%s/p%d" % (w, i)).read(),
                             "is_patch": True, "creator": "dev@example.org", "flags": flags}]}
seed = {"keywords": ["checkin-needed"],
        "users": [{"email": "bot@example.org", "api_key": "bot-key", "groups": ["editbugs"]},
                  {"email": "dev@example.org", "real_name": "Dana Dev [:dana]", "api_key": "dev-key",
                   "groups": ["editbugs"]},
                  {"email": "rita@example.org", "real_name": "Rita", "api_key": "rita-key"}],
        "bugs": [bug(1, "[autoland-try]", 11, False), bug(2, "[autoland-central]", 21, True),
                 bug(3, "[autoland-central]", 31, False), bug(4, "[autoland-central]", 41, True),
                 bug(5, "[autoland-try]", 51, False)]}
json.dump(seed, open(w + "/seed.json", "w"))
json.dump({"people": [{"bugzilla_email": "dev@example.org", "level": 3},
                      {"bugzilla_email": "rita@example.org", "level": 3}]}, open(w + "/people.json", "w"))
PY

"$bin" sandbox bugzilla --port 0 --seed "$work/seed.json" >"$work/sandbox.out" 2>&1 &
pids+=($!)
disown
for _ in $(seq 50); do grep -q listening "$work/sandbox.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
[[ -n "$url" ]] || fail "sandbox did not start: $(cat "$work/sandbox.out")"

cat >"$work/autoland.toml" <<TOML
[store]
url = "sqlite://$work/autoland.db"
[log]
level = "info"
[bugzilla]
url = "$url"
api_key = "bot-key"
bot_login = "bot@example.org"
timeout_seconds = 5
[queue]
grace_period_seconds = 0
[vcs]
cache_dir = "$work/cache"
[results]
interval_seconds = 1
[run]
trigger_interval_seconds = 1
queue_interval_seconds = 1
commenter_interval_seconds = 1
[commenter]
lease_seconds = 10
[directory]
file = "$work/people.json"
[ci.local]
state_dir = "$work/ci"
[[ci.local.jobs]]
branch = "try"
name = "check"
command = ["sh", "-c", "test -f a.txt"]
build = true
[[ci.local.jobs]]
branch = "central"
name = "check"
command = ["sh", "-c", "test -f a.txt && test ! -f FAIL_ON_TRUNK"]
build = true
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
threshold = 4
default_try_syntax = "try: -b o -p linux"
[[branches]]
name = "central"
repo_url = "$work/central"
pretest_branch = "try"
required_level = 3
TOML
"$bin" --config "$work/autoland.toml" db init >/dev/null || { echo "FAIL db init"; exit 1; }

start=$(date +%s.%N)
state() { sqlite3 "$work/autoland.db" "SELECT bug_id || '=' || state FROM patchsets ORDER BY bug_id" 2>/dev/null | tr '\n' ' '; }
pending() { sqlite3 "$work/autoland.db" "SELECT COUNT(*) FROM comments WHERE state = 'pending'" 2>/dev/null; }
want="1=reported 2=landed 3=rejected 4=backed_out 5=reported "
for k in $(seq "$kills"); do
  "$bin" --config "$work/autoland.toml" run >>"$work/run.log" 2>&1 &
  run_pid=$!
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 1.5 }')"
  kill -9 "$run_pid" 2>/dev/null
  wait "$run_pid" 2>/dev/null
done
[[ $kills -gt 0 ]] && echo "after $kills kills: $(state)"
"$bin" --config "$work/autoland.toml" run >>"$work/run.log" 2>&1 &
run_pid=$!
pids+=($run_pid)
for _ in $(seq 600); do
  [[ "$(state)" == "$want" && "$(pending)" == "0" ]] && break
  sleep 0.1
done
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
[[ "$(state)" == "$want" ]] || fail "patchsets: '$(state)', wanted '$want'"
[[ "$(pending)" == "0" ]] || fail "$(pending) comments still pending"

curl -sf "$url/sandbox/bugs" >"$work/bugs.json" || fail "cannot read the sandbox"
python3 - "$work/bugs.json" <<'PY' || exit 1
import json, sys
bugs = {b["id"]: b for b in json.load(open(sys.argv[1]))["bugs"]}
def comments(i):
    return [c["text"] for c in bugs[i]["comments"] if "autoland-dedup:" in c["text"]]
problems = []
expect = {1: ["the try run of patchset"], 2: ["the try run of patchset", "landed on central"],
          3: ["Step validate failed"], 4: ["the try run of patchset", "was backed out of central"],
          5: ["the try run of patchset"]}
for i, starts in expect.items():
    got = comments(i)
    if len(got) != len(starts):
        problems.append("bug %d has %d autoland comments, wanted %d: %r" % (i, len(got), len(starts), got))
        continue
    for text, want in zip(got, starts):
        if want not in text:
            problems.append("bug %d: %r not in %r" % (i, want, text[:200]))
    if "[autoland" in bugs[i]["whiteboard"]:
        problems.append("bug %d whiteboard still says %r" % (i, bugs[i]["whiteboard"]))
if "needs review+" not in comments(3)[0] if comments(3) else True:
    problems.append("bug 3's refusal does not say a review is missing")
for p in problems: print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
# Exactly one copy of each landing and of the backout on central; one try
# push per try run (each with its syntax commit).
for m in "Bug 2 - add c r=rita" "Bug 4 - breaks trunk only r=rita"; do
  n=$(hg -R "$work/central" log -T '{desc|firstline}\n' | grep -cxF "$m")
  [[ $n -eq 1 ]] || fail "central holds '$m' $n times"
done
n=$(hg -R "$work/central" log -T '{desc|firstline}\n' | grep -c "^Backed out changeset")
[[ $n -eq 1 ]] || fail "central holds $n backouts, wanted 1"
[[ $(hg -R "$work/central" log -T x | wc -c) -eq 4 ]] || fail "central should hold base, two landings, one backout"
for b in 1 2 4 5; do
  n=$(hg -R "$work/try" log -T '{desc|firstline}\n' | grep -c -- "--post-to-bug $b\$")
  [[ $n -eq 1 ]] || fail "try holds $n try pushes for bug $b, wanted 1"
done

kill -TERM "$run_pid"
for _ in $(seq 200); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$run_pid" 2>/dev/null && fail "autoland run did not stop within 20 s of SIGTERM"
wait "$run_pid"
code=$?
[[ $code -eq 0 ]] || fail "autoland run exited $code after SIGTERM"
grep -q "stopped" "$work/run.log" || fail "no clean stop in the log"
echo "run_test: passed (5 bugs to their ends in ${took} s with $kills kills; clean stop on SIGTERM)"
