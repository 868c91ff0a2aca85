#!/usr/bin/env bash
# Crash test for `autoland results` with the local CI: six try pushes are
# being tested, each with a build, a slow job and a job that fails once and
# passes on its rerun. The results process is killed with SIGKILL at random
# points, again and again, then runs to the end. Every patchset must end
# reported with exactly one results comment, and CI must hold exactly one run
# of each job plus one rerun of each flaky job: nothing lost, nothing twice.
# Two plain try pushes (not autoland's) ask for their results with
# --post-to-bug: each named bug gets exactly one results comment, and their
# jobs are never rerun.
# Usage: results_crash_test.sh PATH/TO/autoland [KILLS]
set -u
bin=$1
kills=${2:-15}
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  if [[ ${keep:-0} -eq 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export HGPLAIN=1 HGUSER="dev <dev@example.org>"
fail() { echo "FAIL: $*"; exit 1; }

hg init "$work/try"
echo base >"$work/try/base.txt"
hg -R "$work/try" commit -q -A -m base
revs=()
for n in 1 2 3 4 5 6; do
  hg -R "$work/try" update -q -r 0
  echo "$n" >"$work/try/id.txt"
  hg -R "$work/try" commit -q -A -m "Bug $n - try $n"
  revs+=("$(hg -R "$work/try" log -r tip -T '{node}')")
done
mkdir -p "$work/marks"
cat >"$work/autoland.toml" <<TOML
[store]
url = "sqlite://$work/autoland.db"
[log]
level = "warn"
[ci.local]
state_dir = "$work/ci"
workers = 2
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
[[ci.local.jobs]]
branch = "try"
name = "build"
command = ["true"]
build = true
[[ci.local.jobs]]
branch = "try"
name = "slow"
command = ["sleep", "1"]
[[ci.local.jobs]]
branch = "try"
name = "flaky"
command = ["sh", "-c", "m=$work/marks/\$(cat id.txt); test -f \$m || { touch \$m; exit 1; }"]
TOML
"$bin" --config "$work/autoland.toml" db init >/dev/null || { echo "FAIL db init"; exit 1; }
"$bin" --config "$work/autoland.toml" results --once >/dev/null || fail "first pass"
for p in p1 p2; do
  hg -R "$work/try" update -q -r 0
  echo "$p" >"$work/try/id.txt"
  bugs=70; [[ $p == p2 ]] && bugs="71,72"
  hg -R "$work/try" commit -q -A -m "Bug 70 - by hand

try: -b do -p all --post-to-bug $bugs"
done
now=$(date +%s)
for i in "${!revs[@]}"; do
  n=$((i + 1))
  sqlite3 "$work/autoland.db" "INSERT INTO patchsets (bug_id, patches, branch, stage, state, try_revision,
    creation_time, push_time, updated_time, request_key) VALUES ($n, '$((n * 10))', 'try', 'try', 'testing',
    '${revs[$i]}', $now, $now, $now, 'crash-test/$n')" || fail "insert patchset $n"
done

ended() { sqlite3 "$work/autoland.db" "SELECT COUNT(*) FROM patchsets WHERE state NOT IN ('testing', 'retrying')"; }
all_ended() {
  [[ $(ended) -eq 6 ]] &&
    [[ $(sqlite3 "$work/autoland.db" "SELECT COUNT(*) FROM watched_pushes WHERE reported = 1") -eq 2 ]]
}
for k in $(seq "$kills"); do
  "$bin" --config "$work/autoland.toml" results --interval 1 >>"$work/results.log" 2>&1 &
  pid=$!
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 3.0 }')"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=""
done
echo "after $kills kills: $(ended) of 6 patchsets ended"
"$bin" --config "$work/autoland.toml" results --interval 1 >>"$work/results.log" 2>&1 &
pid=$!
for _ in $(seq 120); do all_ended && break; sleep 0.5; done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""

[[ $(ended) -eq 6 ]] || { sqlite3 "$work/autoland.db" "SELECT id, state FROM patchsets"; fail "not every patchset ended"; }
reported=$(sqlite3 "$work/autoland.db" "SELECT COUNT(*) FROM patchsets WHERE state = 'reported'")
[[ $reported -eq 6 ]] || { sqlite3 "$work/autoland.db" "SELECT id, state, state_reason FROM patchsets"; fail "$reported of 6 reported"; }
comments=$(sqlite3 "$work/autoland.db" "SELECT bug_id || ':' || COUNT(*) FROM comments WHERE kind = 'try_results' GROUP BY bug_id ORDER BY bug_id" | tr '\n' ' ')
[[ "$comments" == "1:1 2:1 3:1 4:1 5:1 6:1 " ]] || fail "results comments per bug: $comments"
intermittent=$(sqlite3 "$work/autoland.db" "SELECT COUNT(*) FROM comments WHERE kind = 'try_results' AND body LIKE '%Intermittent (passed when retriggered): flaky%'")
# A flaky job whose first run was cut short by a kill (after it left its mark,
# before its end was recorded) runs again from the start and passes: that
# patchset is plain green, with one flaky run. Every other one names flaky
# as intermittent, with a run and a rerun (checked with the runs below).
[[ $intermittent -ge 1 ]] || fail "no comment names the intermittent job"
pushed=$(sqlite3 "$work/autoland.db" "SELECT bug_id || ':' || COUNT(*) FROM comments WHERE kind = 'push_results' GROUP BY bug_id ORDER BY bug_id" | tr '\n' ' ')
[[ "$pushed" == "70:1 71:1 72:1 " ]] || fail "--post-to-bug comments per bug: $pushed"
# Their flaky job is never rerun: each push is orange, or green when its
# flaky run was cut short by a kill after leaving its mark and so passed when
# run again from the start. The two bugs of one push hear the same verdict.
verdict() { sqlite3 "$work/autoland.db" "SELECT CASE WHEN body LIKE '%They are orange.%' THEN 'orange' WHEN body LIKE '%They are green.%' THEN 'green' ELSE 'other' END FROM comments WHERE kind = 'push_results' AND bug_id = $1"; }
for b in 70 71 72; do [[ "$(verdict $b)" == orange || "$(verdict $b)" == green ]] || fail "bug $b's --post-to-bug comment says neither orange nor green"; done
[[ "$(verdict 71)" == "$(verdict 72)" ]] || fail "bugs 71 and 72 (one push) got different verdicts"
# autoland's six pushes: one run of each job and one rerun of flaky where it
# was intermittent; the two plain pushes: one run of each job.
runs=$(sqlite3 "$work/ci/ci.db" "SELECT name || '=' || COUNT(*) FROM runs GROUP BY name ORDER BY name" | tr '\n' ' ')
want_runs="build=8 flaky=$((8 + intermittent)) slow=8 "
[[ "$runs" == "$want_runs" ]] || fail "CI runs: $runs (wanted $want_runs: $intermittent intermittent)"
echo "results_crash_test: passed ($kills kills; runs: $runs; $intermittent of 6 intermittent)"
