#!/usr/bin/env bash
# autoland push as a user runs it, against real Mercurial remotes: one served
# by `hg serve` on 127.0.0.1 (pushes allowed), one on disk. Covers apply and
# push, a patch that does not apply, unsafe paths refused before the clone is
# touched, another pusher racing in a loop (with and without a conflict), a
# kill -9 between the push and its record (then exactly one copy on the
# remote), a backout, a corrupted cache clone, and patches fetched from the
# sandbox Bugzilla. Usage: push_test.sh PATH/TO/autoland
set -u
bin=$1
work=$(mktemp -d)
loop_pid=""
cleanup() {
  [[ -n "$loop_pid" ]] && kill "$loop_pid" 2>/dev/null
  for f in "$work"/*.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null; done
  [[ -n "${sandbox_pid:-}" ]] && kill "$sandbox_pid" 2>/dev/null
  if [[ ${keep:-0} -eq 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export HGPLAIN=1 HGUSER="someone <someone@example.org>" HGMERGE=internal:fail

expect_eq() {  # expect_eq NAME GOT WANTED
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    echo "FAIL $1: got '$2', wanted '$3'"; failed=$((failed + 1)); fi
}

# The remotes: central (served over http) and try (on disk), same base.
hg init "$work/central"
printf 'l1\nl2\nl3\n' >"$work/central/a.txt"
printf 'base\n' >"$work/central/hot.txt"
hg -R "$work/central" commit -q -A -m "base"
hg clone -q "$work/central" "$work/try"
# A hook that kills the pusher right after the remote committed a push, when
# asked to: the crash between "pushed" and "recorded" that docs/design.md §5 is about.
cat >>"$work/central/.hg/hgrc" <<HGRC
[hooks]
txnclose.crash = sh -c 'if [ -f "$work/crash-next" ]; then rm -f "$work/crash-next"; kill -9 "\$(cat "$work/pusher.pid")"; fi'
HGRC
serve_out=$(hg serve -R "$work/central" -a 127.0.0.1 -p 0 -d --pid-file "$work/serve.pid" \
  --config web.push_ssl=false --config 'web.allow-push=*' 2>&1)
port=$(sed -n 's/.*bound to 127.0.0.1:\([0-9]*\).*/\1/p' <<<"$serve_out")
[[ -n "$port" ]] || { echo "FAIL: hg serve did not start: $serve_out"; exit 1; }
url="http://127.0.0.1:$port/"

# Patches.
header() { printf '# HG changeset patch\n# User Dana Dev <dana@example.org>\n# Date 1700000000 0\n%s\n\n' "$1"; }
new_file() { printf 'diff --git a/%s b/%s\nnew file mode 100644\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1,1 @@\n+%s\n' "$1" "$1" "$1" "$2"; }
{ header "Bug 1 - part 1 r=rita"; printf 'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n l1\n-l2\n+two\n l3\n'; } >"$work/p1.patch"
{ header "Bug 1 - part 2 r=rita"; new_file b.txt hello; } >"$work/p2.patch"
{ header "Bug 2 - stale r=rita"; printf 'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n l1\n-l2\n+again\n l3\n'; } >"$work/stale.patch"
{ header "Bug 3 - escape"; new_file ../escape.txt x; } >"$work/traversal.patch"
{ header "Bug 3 - hook"; new_file .hg/hgrc '[hooks]'; } >"$work/hgrc.patch"
new_file try.txt tried >"$work/plain.patch"

cat >"$work/autoland.toml" <<TOML
[store]
url = "sqlite://$work/autoland.db"
[log]
level = "warn"
[vcs]
cache_dir = "$work/cache"
[[branches]]
name = "central"
repo_url = "$url"
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
default_try_syntax = "try: -b do -p all"
TOML
"$bin" --config "$work/autoland.toml" db init >/dev/null || { echo "FAIL db init"; exit 1; }
push() { "$bin" --config "$work/autoland.toml" push "$@"; }
remote_log() { hg -R "$work/central" log -r "$1" -T "$2"; }

# Unsafe paths: refused before the working clone even exists.
check "traversal refused" 1 push --branch central --patch-file "$work/traversal.patch"
expect_in "traversal reason" "$work/out" "FAIL: $work/traversal.patch: "
expect_in "traversal names the path" "$work/out" "../escape.txt"
check "hgrc refused" 1 push --branch central --patch-file "$work/hgrc.patch"
expect_in "hgrc reason" "$work/out" ".hg/hgrc"
expect_eq "no clone was made for refused patches" "$(ls "$work/cache/hg" 2>/dev/null)" ""

# Apply + push over http.
check "push two patches" 0 push --branch central --patch-file "$work/p1.patch" --patch-file "$work/p2.patch"
tip=$(remote_log tip '{node}')
expect_eq "prints the remote's new tip" "$(cat "$work/out")" "pushed $tip"
expect_eq "both changesets, in order" "$(remote_log 'tip^::tip' '{desc}|')" "Bug 1 - part 1 r=rita|Bug 1 - part 2 r=rita|"
expect_in "progress on stderr" "$work/err" "applying 2 patch(es) and pushing to central"

# A patch that does not apply names the file and the hunk; nothing is pushed.
check "stale patch" 1 push --branch central --patch-file "$work/stale.patch"
expect_eq "stale reason" "$(cat "$work/out")" "FAIL: $work/stale.patch does not apply: hunk 1 of a.txt failed at 0"
expect_eq "nothing pushed" "$(remote_log tip '{node}')" "$tip"
# The same patches again: a duplicate landing, refused.
check "duplicate refused" 1 push --branch central --patch-file "$work/p1.patch"
expect_in "duplicate reason" "$work/out" "is already on central as"

# Try: a header-less patch with a synthesized header and the branch's try syntax on top.
check "try push" 0 push --branch try --patch-file "$work/plain.patch" --user "Dana Dev <dana@example.org>" \
  --message "Bug 4 - try it"
expect_eq "try syntax commit on top" "$(hg -R "$work/try" log -r tip -T '{desc}|{author}')" "try: -b do -p all|autoland"
expect_eq "the patch under it" "$(hg -R "$work/try" log -r tip^ -T '{desc}|{author}')" "Bug 4 - try it|Dana Dev <dana@example.org>"
# Committed as made now, not in 1970 (the date used to be 0).
pushed_at=$(hg -R "$work/try" log -r tip^ -T '{date|hgdate}' | cut -d' ' -f1)
expect_eq "a header-less file gets today's date" "$(( pushed_at > $(date +%s) - 600 ))" "1"
check "bad try syntax" 1 push --branch try --patch-file "$work/plain.patch" --user "D <d@e>" --message "Bug 4 - x" \
  --try-syntax "try: -b xyz"
expect_in "bad try syntax reason" "$work/out" "FAIL: try syntax: "
check "try syntax on a trunk" 1 push --branch central --patch-file "$work/plain.patch" --user "D <d@e>" --message "m" \
  --try-syntax "try: -b do"
expect_in "try syntax on a trunk reason" "$work/out" "FAIL: --try-syntax is for try branches, and central is not one"
check "header-less without a message" 1 push --branch central --patch-file "$work/plain.patch"
expect_in "header-less reason" "$work/out" "has no changeset header"
check "two sources" 1 push --branch central --patch-file "$work/p1.patch" --backout abc --bug 1 --reason x
check "unknown branch" 1 push --branch nowhere --patch-file "$work/p1.patch"
expect_in "unknown branch reason" "$work/err" "no branch named 'nowhere'"

# kill -9 between the push and its record, then the same command again.
{ header "Bug 5 - crash r=rita"; new_file crash.txt boom; } >"$work/crash.patch"
touch "$work/crash-next"
{ (echo "$BASHPID" >"$work/pusher.pid"; exec "$bin" --config "$work/autoland.toml" push --branch central \
  --patch-file "$work/crash.patch") >"$work/out" 2>"$work/err"; } 2>/dev/null
expect_eq "the pusher was killed after the remote took the push" "$?" "137"
expect_eq "the remote has it once" "$(remote_log 'desc("Bug 5 - crash")' 'x')" "x"
crashed=$(remote_log 'desc("Bug 5 - crash")' '{node}')
check "resume after the crash" 0 push --branch central --patch-file "$work/crash.patch"
expect_eq "resume reports the earlier push" "$(cat "$work/out")" \
  "pushed $crashed (by an earlier run that was interrupted; not pushed again)"
expect_eq "still exactly one copy" "$(remote_log 'desc("Bug 5 - crash")' 'x')" "x"
expect_eq "one head" "$(remote_log 'heads(all())' 'x')" "x"

# Another pusher lands in a loop while autoland pushes: each round it drops
# what it could not push, pulls, changes FILE (a new one, or hot.txt), pushes.
hg clone -q "$url" "$work/other"
other_loop() {  # other_loop FILE_PREFIX BUG
  local i=0 file
  while true; do
    i=$((i + 1))
    hg --cwd "$work/other" strip -q --config extensions.strip= -r 'draft()' >/dev/null 2>&1
    hg --cwd "$work/other" pull -q -u "$url" >/dev/null 2>&1
    if [[ $1 == hot ]]; then file=hot.txt; else file="$1-$i.txt"; fi
    printf 'loop %s\n' "$i" >"$work/other/$file"
    hg --cwd "$work/other" commit -q -A -m "Bug $2 - other $i" >/dev/null 2>&1
    hg --cwd "$work/other" push -q "$url" >/dev/null 2>&1
  done
}
other_loop other 900 &
loop_pid=$!
for _ in $(seq 100); do [[ -n "$(remote_log 'desc("Bug 900 - other")' 'x')" ]] && break; sleep 0.1; done
expect_eq "the other pusher is landing" "$([[ -n $(remote_log 'desc("Bug 900 - other")' 'x') ]] && echo yes)" "yes"
for n in 1 2 3 4 5; do
  { header "Bug 6$n - racing r=rita"; new_file "race-$n.txt" "$n"; } >"$work/race-$n.patch"
  check "push $n while another pusher lands" 0 push --branch central --patch-file "$work/race-$n.patch"
  cat "$work/out" >>"$work/race.out"
done
kill "$loop_pid"; wait "$loop_pid" 2>/dev/null; loop_pid=""
for n in 1 2 3 4 5; do
  expect_eq "race $n landed once" "$(remote_log "desc('Bug 6$n - racing')" 'x')" "x"
done
expect_eq "one head after the race" "$(remote_log 'heads(all())' 'x')" "x"
echo "push_test: the branch moved under $(grep -c 'applied again' "$work/race.out") of 5 pushes"

# The same with a conflict: the other pusher keeps changing hot.txt, and so
# does our patch, made against a hot.txt that has changed since.
hot_before=$(hg --cwd "$work/central" cat -r tip hot.txt)
other_loop hot 901 &
loop_pid=$!
for _ in $(seq 100); do [[ "$(hg --cwd "$work/central" cat -r tip hot.txt)" != "$hot_before" ]] && break; sleep 0.1; done
{ header "Bug 7 - hot r=rita"; printf 'diff --git a/hot.txt b/hot.txt\n--- a/hot.txt\n+++ b/hot.txt\n@@ -1,1 +1,1 @@\n-%s\n+ours\n' \
  "$hot_before"; } >"$work/hot.patch"
check "conflict with the other pusher" 1 push --branch central --patch-file "$work/hot.patch"
kill "$loop_pid"; wait "$loop_pid" 2>/dev/null; loop_pid=""
expect_in "the conflict names the file" "$work/out" "hot.txt"
expect_eq "ours is not on the remote" "$(remote_log 'desc("Bug 7 - hot")' 'x')" ""

# Back out the two changesets of bug 1.
p1=$(remote_log 'desc("Bug 1 - part 1")' '{node}')
p2=$(remote_log 'desc("Bug 1 - part 2")' '{node}')
check "backout" 0 push --branch central --backout "$p1,$p2" --bug 1 --reason "bustage on linux64"
expect_eq "backout message" "$(remote_log tip '{desc|firstline}')" "Backed out 2 changesets (bug 1) for bustage on linux64"
expect_eq "backout restores a.txt" "$(hg --cwd "$work/central" cat -r tip a.txt)" "$(printf 'l1\nl2\nl3')"
check "unknown backout revision" 1 push --branch central --backout 0123456789ab --bug 1 --reason x
expect_in "unknown revision reason" "$work/out" "FAIL: changeset 0123456789ab is not on central"

# A corrupted cache clone is made again.
changelog="$work/cache/hg/central/.hg/store/00changelog.i"
truncate -s $(($(stat -c %s "$changelog") / 2)) "$changelog"
{ header "Bug 8 - after repair r=rita"; new_file repaired.txt ok; } >"$work/repair.patch"
check "push after the cache clone was corrupted" 0 push --branch central --patch-file "$work/repair.patch"
expect_eq "landed after repair" "$(remote_log tip '{desc}')" "Bug 8 - after repair r=rita"

# git: a bare remote on disk whose post-receive hook can kill the pusher too.
git init -q --bare --initial-branch=main "$work/gitremote.git"
git init -q --initial-branch=main "$work/gitwork"
printf 'l1\nl2\nl3\n' >"$work/gitwork/a.txt"
git -C "$work/gitwork" add -A
git -C "$work/gitwork" -c user.name=t -c user.email=t@e commit -q -m base
git -C "$work/gitwork" push -q "$work/gitremote.git" main
cat >"$work/gitremote.git/hooks/post-receive" <<HOOK
#!/bin/sh
if [ -f "$work/crash-next" ]; then rm -f "$work/crash-next"; kill -9 "\$(cat "$work/pusher.pid")"; fi
HOOK
chmod +x "$work/gitremote.git/hooks/post-receive"
cat >>"$work/autoland.toml" <<TOML
[[branches]]
name = "gitmain"
vcs = "git"
repo_url = "$work/gitremote.git"
TOML
git_log() { git --git-dir "$work/gitremote.git" log -1 --format="$1" main; }
check "git push" 0 push --branch gitmain --patch-file "$work/p1.patch" --patch-file "$work/p2.patch"
expect_eq "git: prints the new tip" "$(cat "$work/out")" "pushed $(git_log %H)"
expect_eq "git: author and message kept" "$(git_log '%s|%an <%ae>')" "Bug 1 - part 2 r=rita|Dana Dev <dana@example.org>"
touch "$work/crash-next"
{ (echo "$BASHPID" >"$work/pusher.pid"; exec "$bin" --config "$work/autoland.toml" push --branch gitmain \
  --patch-file "$work/crash.patch") >"$work/out" 2>"$work/err"; } 2>/dev/null
expect_eq "git: the pusher was killed after the remote took the push" "$?" "137"
check "git: resume after the crash" 0 push --branch gitmain --patch-file "$work/crash.patch"
expect_eq "git: resume reports the earlier push" "$(cat "$work/out")" \
  "pushed $(git_log %H) (by an earlier run that was interrupted; not pushed again)"
expect_eq "git: exactly one copy" "$(git --git-dir "$work/gitremote.git" log --format=%s main | grep -c 'Bug 5 - crash')" "1"
check "git backout" 0 push --branch gitmain --backout "$(git_log %H)" --bug 5 --reason "it crashed"
expect_eq "git: backout message" "$(git_log %s)" "Backed out changeset $(git --git-dir "$work/gitremote.git" log -1 --format=%h --abbrev=12 main~1) (bug 5) for it crashed"

# Patches fetched from Bugzilla (the sandbox), header-less one synthesized.
python3 - "$work/seed.json" <<'PY'
import json, sys
patch = ("diff --git a/from-bug.txt b/from-bug.txt\nnew file mode 100644\n--- /dev/null\n+++ b/from-bug.txt\n"
         "@@ -0,0 +1,1 @@\n+from the bug\n")
json.dump({"users": [{"email": "bot@example.org", "api_key": "bot-key", "groups": ["editbugs"]},
                     {"email": "dev@example.org", "api_key": "dev-key", "real_name": "Dana Developer [:dana]"}],
           "bugs": [{"id": 9, "attachments": [{"id": 90, "summary": "Fix the thing", "data": patch,
                                               "creator": "dev@example.org"},
                                              {"id": 91, "summary": "old", "data": patch, "is_obsolete": True,
                                               "creator": "dev@example.org"}]}]}, open(sys.argv[1], "w"))
PY
"$bin" sandbox bugzilla --port 0 --seed "$work/seed.json" >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!
for _ in $(seq 50); do grep -q listening "$work/sandbox.out" && break; sleep 0.1; done
bz=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
cat >>"$work/autoland.toml" <<TOML
[bugzilla]
url = "$bz"
api_key = "bot-key"
auth = "query"
TOML
check "push attachments from the bug" 1 push --branch central --bug 9 --patches 90
expect_eq "trunk keeps the patch's own header" "$(cat "$work/out")" \
  "FAIL: attachment 90 has no changeset header: a landing on central keeps the patch's own author and message (attach hg export or git format-patch output)"
check "try push of attachments from the bug" 0 push --branch try --bug 9 --patches 90
expect_eq "synthesized author and message" "$(hg -R "$work/try" log -r tip^ -T '{desc}|{author}')" \
  "Bug 9 - Fix the thing|Dana Developer <dev@example.org>"
check "obsolete attachment" 1 push --branch try --bug 9 --patches 91
expect_in "obsolete reason" "$work/out" "FAIL: attachment 91 is obsolete"
check "attachment of another bug" 1 push --branch try --bug 8 --patches 90
expect_in "wrong bug reason" "$work/out" "FAIL: "

# autoland results: nothing is being tested here, so a pass watches nothing.
check "results once" 0 "$bin" --config "$work/autoland.toml" results --once
expect_eq "results pass" "$(head -1 "$work/out")" "results: 0 watched, 0 moved on, 0 waiting, 0 retriggered, 0 errors"
expect_eq "post-to-bug pass" "$(tail -1 "$work/out")" "--post-to-bug: 0 new pushes, 0 watched, 0 reported, 0 waiting, 0 errors"
cat >>"$work/autoland.toml" <<TOML
[[ci.local.jobs]]
branch = "central"
name = "check"
command = ["true"]
TOML
check "local CI needs a local repository" 1 "$bin" --config "$work/autoland.toml" results --once
expect_in "local CI repository reason" "$work/err" "the local CI runs jobs for branch central only from a repository on this machine"

echo "push_test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
