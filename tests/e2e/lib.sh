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
