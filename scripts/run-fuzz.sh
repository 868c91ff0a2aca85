#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default
# 60), two at a time. Seeds come from tests/fuzz/corpus/ (never modified);
# new inputs go to a scratch dir. Exits non-zero on any crash, leak, timeout
# or sanitizer report, leaving the reproducer in build-fuzz/artifacts/.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -G Ninja -DAUTOLAND_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
ninja -C "$build" >/dev/null

# FUZZ_TARGETS picks some (default: all, as make test runs them).
read -r -a targets <<<"${FUZZ_TARGETS:-whiteboard try_syntax patch commit_message patch_differential}"
mkdir -p "$build/artifacts"
run_one() {
  local t=$1 work="$build/corpus-work/$1" seeds="$root/tests/fuzz/corpus/$1"
  [[ $t == patch_differential ]] && seeds="$root/tests/fuzz/corpus/patch"
  mkdir -p "$work"
  if "$build/tests/fuzz/fuzz_$t" "$work" "$seeds" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      >"$build/fuzz_$t.log" 2>&1; then
    echo "fuzz $t: ok, $(grep -E '^stat::number_of_executed_units' "$build/fuzz_$t.log" | awk '{print $2}') runs in ${seconds}s"
  else
    echo "fuzz $t: FAILED (log: $build/fuzz_$t.log)"
    tail -30 "$build/fuzz_$t.log"
    return 1
  fi
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" & pids+=($!)
  if [[ ${#pids[@]} -eq 2 ]]; then
    for p in "${pids[@]}"; do wait "$p" || status=1; done
    pids=()
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [[ $status -eq 0 ]]; then
  echo "fuzz: ${#targets[@]} passed, 0 failed"
else
  echo "fuzz: some targets failed"
fi
exit $status
