# What the end-to-end scripts share: counters and checks on a command's exit
# code, its output and its JSON. The caller sets $work (a scratch folder).
passed=0
failed=0

check() {  # check NAME EXPECTED_EXIT COMMAND...  (stdout -> $work/out, stderr -> $work/err)
  local name=$1 want=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL $name: exit $got, wanted $want"; sed 's/^/  stdout: /' "$work/out" | head -5; sed 's/^/  stderr: /' "$work/err" | head -5
    failed=$((failed + 1))
    return 1
  fi
  passed=$((passed + 1))
  return 0
}

expect_in() {  # expect_in NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then passed=$((passed + 1)); else
    echo "FAIL $1: '$3' not in $2:"; head -20 "$2" | sed 's/^/  /'; failed=$((failed + 1)); fi
}

json() {  # json FILE PYTHON_EXPR -> prints the value
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps($2))" "$1"
}

expect_json() {  # expect_json NAME FILE EXPR EXPECTED
  local got
  got=$(json "$2" "$3")
  if [[ "$got" == "$4" ]]; then passed=$((passed + 1)); else
    echo "FAIL $1: $3 = $got, wanted $4"; failed=$((failed + 1)); fi
}

# keep_sandbox BIN OUT DIR [ARGS...]: starts `BIN sandbox --keep-running` in
# the background (its pid in $pid, for the caller's cleanup) and waits for
# it to say "Still running" (or to die); $sandbox_url is then the address
# of its API ("" when it did not come up), its token in DIR/api-token.
keep_sandbox() {
  local bin=$1 out=$2 dir=$3
  shift 3
  "$bin" sandbox --keep-running --dir "$dir" "$@" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 3000); do grep -q "Still running" "$out" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  sandbox_url=$(sed -n 's/^  autoland API  \(http[^ ]*\).*/\1/p' "$out")
}
