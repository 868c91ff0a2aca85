#!/usr/bin/env bash
# The autoland binary as a user runs it: exit codes, JSON shapes, errors on
# stderr. Usage: cli_test.sh PATH/TO/autoland TEST_DATA_DIR
set -u
bin=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

check version 0 "$bin" --version && expect_in version "$work/out" "autoland 0.1.0"
check help 0 "$bin" --help && expect_in help "$work/out" "parse"
for sub in parse db config sandbox "parse tag" "parse try" "parse patch" "parse message" "db migrate" "db status"; do
  # shellcheck disable=SC2086
  check "help $sub" 0 "$bin" $sub --help
done
check "no subcommand" 2 "$bin"
check "unknown subcommand" 2 "$bin" frobnicate
check "unknown flag" 2 "$bin" parse tag --nope x

check "tag ok" 0 "$bin" parse tag "[autoland-try:12:34]"
expect_json "tag branches" "$work/out" 'd["tags"][0]["branches"]' '["try"]'
expect_json "tag ids" "$work/out" 'd["tags"][0]["attachments"]' '[12, 34]'
expect_json "tag try null" "$work/out" 'd["tags"][0]["try_syntax"]' 'null'
expect_json "tag text" "$work/out" 'd["tags"][0]["text"]' '"[autoland-try:12:34]"'

check "tag with syntax" 0 "$bin" parse tag "wb [autoland-try:5:-b do -p linux] x"
expect_json "tag syntax" "$work/out" 'd["tags"][0]["try_syntax"]' '"-b do -p linux"'

check "tag malformed" 1 "$bin" parse tag "[autoland-try:abc]"
expect_in "tag malformed reason" "$work/err" "error: 'abc' is not an attachment id"
check "tag unclosed" 1 "$bin" parse tag "[autoland-try:12"
expect_in "tag unclosed reason" "$work/err" "is not closed"
check "tag none" 0 "$bin" parse tag "nothing here [autoland]"
expect_json "tag none empty" "$work/out" 'd["tags"]' '[]'

check "try ok" 0 "$bin" parse try "try: -b do -p all -u all -t none --post-to-bug 7"
expect_json "try build" "$work/out" 'd["build"]' '"do"'
expect_json "try post" "$work/out" 'd["post_to_bugs"]' '[7]'
expect_json "try formatted" "$work/out" 'd["formatted"]' '"try: -b do -p all -u all -t none --post-to-bug 7"'
check "try bad" 1 "$bin" parse try "try: -b do --bogus"
expect_in "try bad reason" "$work/err" "error: unknown try option '--bogus'"

check "patch hg" 0 "$bin" parse patch "$data/patches/hg-export-git.patch"
expect_json "patch author" "$work/out" 'd["author"]' '"J\u00f6rg M\u00fcller <joerg@example.org>"'
expect_json "patch summary" "$work/out" 'd["summary"]' '"Bug 1234 - Rework main and docs r=alice,bob"'
expect_json "patch files" "$work/out" '[f["path"] for f in d["files"]]' '["added.txt", "docs/new name.txt", "logo.bin", "main.c", "run.sh"]'
expect_json "patch kinds" "$work/out" '[f["change"] for f in d["files"]]' '["add", "rename", "modify", "modify", "modify"]'
check "patch stdin" 0 "$bin" parse patch - <"$data/patches/git-format-patch.patch"
expect_json "patch git format" "$work/out" 'd["format"]' '"git-format-patch"'
check "patch too big" 1 "$bin" parse patch --max-size 100 "$data/patches/hg-export-git.patch"
expect_in "patch too big reason" "$work/err" "over the limit of 100"
printf -- '--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n' >"$work/evil.diff"
check "patch unsafe" 1 "$bin" parse patch "$work/evil.diff"
expect_in "patch unsafe reason" "$work/err" "climbs out of the repository"
check "patch missing file" 1 "$bin" parse patch "$work/none.patch"
expect_in "patch missing reason" "$work/err" "cannot read"

check "message rule ok" 0 "$bin" parse message --bug 5 "Bug 5 - Fix r=alice"
expect_json "message reviewers" "$work/out" 'd["reviewers"]' '["alice"]'
check "message rule broken" 1 "$bin" parse message --bug 5 "Fix things"
expect_in "message rule reason" "$work/err" "names no bug"

cat >"$work/autoland.toml" <<TOML
[store]
url = "sqlite://$work/state.db"

[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
TOML
# No store is ever made by itself: only `db init` creates one.
check "db status before init" 1 "$bin" --config "$work/autoland.toml" db status
expect_in "db status names the missing store" "$work/err" "the store '$work/state.db' does not exist"
expect_in "db status says how to create it" "$work/err" "autoland db init"
check "db migrate before init" 1 "$bin" --config "$work/autoland.toml" db migrate
if [[ -e "$work/state.db" ]]; then echo "FAIL a store was created"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "db init" 0 "$bin" --config "$work/autoland.toml" db init
expect_in "db init says" "$work/out" "created the store"
check "db init again" 1 "$bin" --config "$work/autoland.toml" db init
expect_in "db init refuses a second time" "$work/err" "holds an autoland store already"
: >"$work/empty.db"
printf '[store]\nurl = "sqlite://%s/empty.db"\n' "$work" >"$work/empty.toml"
check "empty file refused" 1 "$bin" --config "$work/empty.toml" db status
expect_in "empty file reason" "$work/err" "is empty"
head -c 8192 /dev/urandom >"$work/junk.db"
printf '[store]\nurl = "sqlite://%s/junk.db"\n' "$work" >"$work/junk.toml"
check "junk file refused" 1 "$bin" --config "$work/junk.toml" db status
expect_in "junk file named" "$work/err" "the store '$work/junk.db' is not an SQLite database"
check "db migrate" 0 "$bin" --config "$work/autoland.toml" db migrate
expect_in "db migrate says" "$work/out" "schema at version"
check "db status after" 0 "$bin" --config "$work/autoland.toml" db status
expect_json "db current" "$work/out" 'd["current_version"] == d["latest_version"]' 'true'
check "db migrate again" 0 "$bin" --config "$work/autoland.toml" db migrate
expect_in "db migrate idempotent" "$work/out" "applied 0 migration(s)"

check "config check" 0 "$bin" --config "$work/autoland.toml" config check
expect_in "config shows branch" "$work/out" "branch try:"
printf '[bugzilla]\nurll = "x"\n' >"$work/bad.toml"
check "config unknown key" 1 "$bin" --config "$work/bad.toml" config check
expect_in "config unknown key reason" "$work/err" "unknown key 'bugzilla.urll' at line 2"
check "config missing file" 2 "$bin" --config "$work/absent.toml" config check
printf '[bugzilla]\napi_key = "hunter2-secret"\n' >"$work/secret.toml"
check "config secret hidden" 0 "$bin" --config "$work/secret.toml" config check
if grep -q hunter2 "$work/out" "$work/err"; then echo "FAIL secret printed"; failed=$((failed + 1)); else passed=$((passed + 1)); fi

check "the old demo command is gone" 2 "$bin" demo

# Against the sandbox Bugzilla: trigger, commenter, comment.
root=$(cd "$data/../.." && pwd)
"$bin" sandbox bugzilla --port 0 --seed "$root/examples/sandbox-bugzilla.json" --ignore-header-key \
  >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!
for _ in $(seq 50); do grep -q listening "$work/sandbox.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$work/sandbox.out")
cat >"$work/bz.toml" <<TOML
[store]
url = "sqlite://$work/bz.db"
[bugzilla]
url = "$url"
api_key_env = "TEST_BZ_KEY"
auth = "query"
bot_login = "autoland-bot@example.org"
[queue]
checkin_needed_branch = "mozilla-central"
[[branches]]
name = "try"
repo_url = "$work/try"
required_level = 1
[[branches]]
name = "mozilla-central"
repo_url = "$work/central"
pretest_branch = "try"
TOML
export TEST_BZ_KEY=bot-key-0123456789
check "bz db init" 0 "$bin" --config "$work/bz.toml" db init
check "trigger once" 0 "$bin" --config "$work/bz.toml" trigger --once
expect_in "trigger counts" "$work/out" "2 patchsets queued, 1 refused"
if grep -q "bot-key-0123456789" "$work/out" "$work/err"; then echo "FAIL key logged"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "commenter once" 0 "$bin" --config "$work/bz.toml" commenter --once
expect_in "commenter posted" "$work/out" "1 posted"
check "comment text" 0 "$bin" --config "$work/bz.toml" comment --bug 1 --text "Hello from the CLI"
curl -s "$url/sandbox/bugs" >"$work/bugs.json"
expect_in "comment on the bug" "$work/bugs.json" "Hello from the CLI"
check "comment template" 0 "$bin" --config "$work/bz.toml" comment --template cancelled --patchset 1
curl -s "$url/sandbox/bugs" >"$work/bugs.json"
expect_in "template on the bug" "$work/bugs.json" "was cancelled"
check "comment missing bug" 1 "$bin" --config "$work/bz.toml" comment --bug 999 --text "x"
expect_in "comment missing bug reason" "$work/err" "does not exist or cannot be seen"

# A store deleted, or replaced, under a running component stops it with the
# reason; nothing makes an empty store in its place.
store_stops() {  # name, what to do to the store, expected words
  "$bin" --config "$work/bz.toml" commenter --interval 1 >"$work/loop.out" 2>"$work/loop.err" &
  local pid=$! code=
  sleep 1.5
  eval "$2"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    echo "FAIL $1: still running 5 s later"
    failed=$((failed + 1))
    return
  fi
  wait "$pid"
  code=$?
  if [[ $code -eq 1 ]] && grep -q "$3" "$work/loop.err"; then
    passed=$((passed + 1))
  else
    echo "FAIL $1: exit $code, stderr:"
    cat "$work/loop.err"
    failed=$((failed + 1))
  fi
}
store_stops "store deleted" 'rm -f "$work/bz.db" "$work/bz.db-wal" "$work/bz.db-shm"' "the store '$work/bz.db' was deleted while autoland was using it"
if [[ -e "$work/bz.db" ]]; then echo "FAIL store recreated"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "restart after deletion" 1 "$bin" --config "$work/bz.toml" commenter --once
expect_in "restart names the missing store" "$work/err" "does not exist"
if [[ -e "$work/bz.db" ]]; then echo "FAIL store recreated on restart"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "bz db init again" 0 "$bin" --config "$work/bz.toml" db init
sed "s|$work/bz.db|$work/other.db|" "$work/bz.toml" >"$work/other.toml"
check "other db init" 0 "$bin" --config "$work/other.toml" db init
store_stops "store replaced" 'mv "$work/other.db" "$work/bz.db"' "the store '$work/bz.db' was replaced by another file"
check "comment needs text or template" 1 "$bin" --config "$work/bz.toml" comment --bug 1
TEST_BZ_KEY=wrong-key-xyz check "comment bad key" 1 "$bin" --config "$work/bz.toml" comment --bug 1 --text "y"
expect_in "comment bad key reason" "$work/err" "Bugzilla error 306"
if grep -q "wrong-key-xyz" "$work/err"; then echo "FAIL bad key shown"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
kill "$sandbox_pid" 2>/dev/null
wait "$sandbox_pid" 2>/dev/null

# A worker whose PostgreSQL is not up (yet, or restarting) waits for it,
# says so, and stops cleanly on SIGTERM meanwhile: workers start in any
# order. A store that does not exist is not waited for (above).
sed "s|^url = \"sqlite://.*|url = \"postgresql://autoland@127.0.0.1:1/autoland\"|" "$work/bz.toml" >"$work/pg-down.toml"
"$bin" --config "$work/pg-down.toml" worker results >"$work/pg-down.out" 2>&1 &
waiting_pid=$!
for _ in $(seq 50); do grep -q "waiting for it" "$work/pg-down.out" && break; sleep 0.1; done
expect_in "worker waits for an unreachable store" "$work/pg-down.out" "cannot connect to the PostgreSQL store"
if kill -0 "$waiting_pid" 2>/dev/null; then passed=$((passed + 1)); else echo "FAIL the worker gave up"; failed=$((failed + 1)); fi
kill -TERM "$waiting_pid"
wait "$waiting_pid"
code=$?
if [[ $code -eq 0 ]]; then passed=$((passed + 1)); else echo "FAIL SIGTERM while waiting: exit $code"; failed=$((failed + 1)); fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
