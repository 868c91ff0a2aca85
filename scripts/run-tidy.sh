#!/usr/bin/env bash
# clang-tidy over every translation unit that ships (the `autoland` binary
# and its libraries, sandbox included), with the checks in .clang-tidy;
# any finding fails the run. Configured without tests and benchmarks, so
# the compile database lists only that code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-tidy"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DAUTOLAND_TESTS=OFF -DAUTOLAND_BENCH=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
start=$SECONDS
files=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$build/compile_commands.json")
log="$build/tidy.log"
if ! run-clang-tidy -quiet -p "$build" -j "$(nproc)" "^$root/" >"$log" 2>&1; then
  grep -E "(warning|error):" "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u | head -50
  echo "tidy: FAILED over $files files (log: $log)"
  exit 1
fi
echo "tidy: $files files clean ($((SECONDS - start)) s)"
