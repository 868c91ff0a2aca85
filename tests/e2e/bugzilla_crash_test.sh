#!/usr/bin/env bash
# Crash test: the trigger and the commenter are killed with SIGKILL at random
# points, again and again, while the sandbox Bugzilla injects faults; then
# they run to completion. Every request must end up as exactly one patchset,
# every queued comment must be on its bug exactly once, and nothing may reach
# a missing or private bug. Usage: bugzilla_crash_test.sh PATH/TO/autoland [KILLS]
set -u
bin=$1
kills=${2:-25}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [[ ${keep:-0} -eq 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

python3 - "$work/seed.json" <<'PY'
import json, sys
def patch(b):
    return ("# HG changeset patch\n# User Dana Developer <dev@example.org>\nBug %d - Fix r=rita\n\n"
            "diff --git a/f%d b/f%d\n--- a/f%d\n+++ b/f%d\n@@ -1 +1 @@\n-a\n+b\n") % (b, b, b, b, b)
bugs = []
for b in range(1, 201):
    bugs.append({"id": b, "whiteboard": "[autoland-try]", "whiteboard_set_by": "dev@example.org",
                 "attachments": [{"id": b * 10, "summary": "fix", "data": patch(b), "creator": "dev@example.org"}]})
for b in range(201, 221):
    bugs.append({"id": b, "whiteboard": "[autoland-try:x%d]" % b, "whiteboard_set_by": "dev@example.org"})
for b in range(221, 226):
    bugs.append({"id": b, "whiteboard": "[autoland-try]", "groups": ["secret"],
                 "attachments": [{"id": b * 10, "summary": "fix", "data": patch(b)}]})
json.dump({"users": [{"email": "bot@example.org", "api_key": "bot-key", "groups": ["editbugs"]},
                     {"email": "dev@example.org", "api_key": "dev-key"}], "bugs": bugs}, open(sys.argv[1], "w"))
PY

"$bin" sandbox bugzilla --port 0 --seed "$work/seed.json" --ignore-header-key \
  --error-rate 0.1 --reset-rate 0.1 --stall-rate 0.02 --stall-ms 1500 >"$work/sandbox.out" 2>&1 &
pids+=($!)
disown
for _ in $(seq 50); do grep -q listening "$work/sandbox.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
[[ -n "$url" ]] || { echo "FAIL: sandbox did not start"; cat "$work/sandbox.out"; exit 1; }

cat >"$work/autoland.toml" <<TOML
[store]
url = "sqlite://$work/autoland.db"
[log]
level = "warn"
[bugzilla]
url = "$url"
api_key_file = "$work/key"
auth = "query"
bot_login = "bot@example.org"
timeout_seconds = 1
[queue]
# One developer asks for all 200 here.
max_requests_per_requester = 1000
[commenter]
# About 1,000 comments within two minutes (kept across the kills: the limit
# is counted in the store); the limit is not what this tests.
max_comments_per_minute = 100000
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
TOML
printf 'bot-key\n' >"$work/key"
"$bin" --config "$work/autoland.toml" db init >/dev/null || exit 1

# Comments already queued when the crashes begin: 5 per valid bug, 3 for a
# missing bug, 2 for a private one.
{
  echo "BEGIN;"
  for b in $(seq 1 200); do
    for n in 1 2 3 4 5; do
      echo "INSERT INTO comments (bug_id, kind, body, dedup_key, next_attempt_time, created_time) VALUES ($b, 'manual', 'note $n for bug $b
autoland-dedup: crash/$b/$n', 'crash/$b/$n', 0, 0);"
    done
  done
  for n in 1 2 3; do echo "INSERT INTO comments (bug_id, kind, body, dedup_key, next_attempt_time, created_time) VALUES (99999, 'manual', 'x
autoland-dedup: missing/$n', 'missing/$n', 0, 0);"; done
  for n in 1 2; do echo "INSERT INTO comments (bug_id, kind, body, dedup_key, next_attempt_time, created_time) VALUES (222, 'manual', 'x
autoland-dedup: private/$n', 'private/$n', 0, 0);"; done
  echo "COMMIT;"
} | sqlite3 "$work/autoland.db" || exit 1

echo "crash test: $kills rounds of kill -9 against $url"
for round in $(seq "$kills"); do
  "$bin" --config "$work/autoland.toml" trigger --interval 1 >>"$work/trigger.log" 2>&1 &
  tp=$!
  "$bin" --config "$work/autoland.toml" commenter --interval 1 >>"$work/commenter.log" 2>&1 &
  cp=$!
  sleep "0.$((RANDOM % 9 + 2))"
  kill -9 "$tp" "$cp" 2>/dev/null
  wait "$tp" "$cp" 2>/dev/null
  posted=$(sqlite3 "$work/autoland.db" "select count(*) from comments where state='posted'")
  echo "round $round: killed both; $posted outbox entries done so far"
  # Time passes: deferred entries are due again next round.
  sqlite3 "$work/autoland.db" "update comments set next_attempt_time=0 where state='pending'"
done

# Manual comments (`autoland comment --text`), half of them answered 504 and
# stored 1.5 s later by Bugzilla, half stalled 3 s, each command killed once
# its comment is queued, while it waits. Once the late stores have landed and the leases are over, the
# commenter must find every one that went out, and post only the others.
curl -s -X PUT -d '{"late_rate": 0.5, "late_ms": 1500, "stall_rate": 0.5, "stall_ms": 3000}' "$url/sandbox/faults" >/dev/null
for b in $(seq 1 10); do
  "$bin" --config "$work/autoland.toml" comment --bug "$b" --text "manual note for bug $b" >>"$work/manual.log" 2>&1 &
  mp=$!
  # Killed once its comment is queued (and being posted), not before.
  for _ in $(seq 100); do
    [[ $(sqlite3 "$work/autoland.db" "select count(*) from comments where dedup_key like 'manual/$b/%'") -eq 1 ]] && break
    sleep 0.05
  done
  sleep 0.2
  kill -9 "$mp" 2>/dev/null
  wait "$mp" 2>/dev/null
done
"$bin" --config "$work/autoland.toml" commenter --once >>"$work/commenter.log" 2>&1
early=$(sqlite3 "$work/autoland.db" "select count(*) from comments where kind='manual' and dedup_key like 'manual/%' and state='posted'")
echo "manual comments: $early of 10 settled before their leases ended (expected 0)"
sleep 3.5

# Faults off; run to completion.
curl -s -X PUT -d '{}' "$url/sandbox/faults" >/dev/null
for _ in $(seq 30); do
  "$bin" --config "$work/autoland.toml" trigger --once >>"$work/trigger.log" 2>&1
  "$bin" --config "$work/autoland.toml" commenter --once >>"$work/commenter.log" 2>&1
  pending=$(sqlite3 "$work/autoland.db" "select count(*) from comments where state='pending'")
  [[ $pending -eq 0 ]] && break
  # Deferred entries wait for their backoff: make them due now.
  sqlite3 "$work/autoland.db" "update comments set next_attempt_time=0 where state='pending'"
done

curl -s "$url/sandbox/bugs" >"$work/bugs.json"
curl -s "$url/sandbox/stats" >"$work/stats.json"
sqlite3 "$work/autoland.db" "select bug_id from patchsets" >"$work/patchset_bugs"
sqlite3 "$work/autoland.db" "select state, count(*) from comments group by state" >"$work/outbox_states"
retried=$(grep -c "may have been processed" "$work/commenter.log")
echo "crash test: $retried comment posts whose answer was lost (checked on the bug before any re-post)"
python3 - "$work" "$early" <<'PY'
import json, sys, collections
w = sys.argv[1]
early = int(sys.argv[2])
bugs = {b["id"]: b for b in json.load(open(w + "/bugs.json"))["bugs"]}
stats = json.load(open(w + "/stats.json"))
ps = [int(x) for x in open(w + "/patchset_bugs").read().split()]
states = dict(l.split("|") for l in open(w + "/outbox_states").read().split())
failed = []
def check(cond, what):
    if not cond: failed.append(what)
count = collections.Counter(ps)
check(sorted(count) == list(range(1, 201)), "patchsets exist for exactly bugs 1..200: %s" % sorted(count)[:10])
check(all(c == 1 for c in count.values()), "one patchset per request: %s" % {b: c for b, c in count.items() if c != 1})
for b in range(1, 226):
    markers = collections.Counter()
    for c in bugs[b]["comments"]:
        check(c["creator"] == "bot@example.org", "bug %d: comment by %s" % (b, c["creator"]))
        last = [l for l in c["text"].splitlines() if l.strip()][-1]
        check(last.startswith("autoland-dedup: "), "bug %d: comment without marker" % b)
        markers[last] += 1
    dup = {k: v for k, v in markers.items() if v > 1}
    check(not dup, "bug %d: posted twice: %s" % (b, dup))
    if b <= 200:
        want = 6 if b <= 10 else 5  # bugs 1-10 also got one manual comment
        check(len(markers) == want, "bug %d: %d of %d queued comments posted" % (b, len(markers), want))
        manual = [c for c in bugs[b]["comments"] if c["text"].startswith("manual note for bug %d\n" % b)]
        check(len(manual) == (1 if b <= 10 else 0), "bug %d: manual comment %d times" % (b, len(manual)))
        check(bugs[b]["whiteboard"] == "[autoland-in-queue]", "bug %d whiteboard %r" % (b, bugs[b]["whiteboard"]))
    elif b <= 220:
        check(len(markers) == 1, "bug %d: %d refusals" % (b, len(markers)))
        check(bugs[b]["whiteboard"] == "", "bug %d whiteboard %r" % (b, bugs[b]["whiteboard"]))
    else:
        check(not markers, "private bug %d got comments" % b)
check(states.get("pending", "0") == "0", "outbox still pending: %s" % states)
check(early == 0, "%d manual comments settled before their leases ended" % early)
check(states.get("dropped") == "5", "5 entries for missing/private bugs dropped: %s" % states)
print("crash test figures: %d requests, %d faults injected, %d comments posted, outbox %s" %
      (stats["requests"], stats["faults"], stats["comments_posted"], states))
for f in failed[:20]: print("FAIL:", f)
print("%d passed, %d failed" % (1 if not failed else 0, 1 if failed else 0))
sys.exit(1 if failed else 0)
PY
status=$?
[[ $status -ne 0 ]] && keep=1
exit $status
