#!/usr/bin/env bash
# ThreadSanitizer over the code that runs threads, built with clang (so the
# lock annotations are checked by -Wthread-safety on the way): the unit and
# service tests, the API (HTTP worker pool, watchdog), the local CI runner
# (worker threads), the queue's parallel validation and tree status, the
# LDAP directory looked up from many threads against a real slapd, the
# RabbitMQ bus (a connection per subscriber, one for publishing) and the
# PostgreSQL store's pool against real servers, and `autoland sandbox`,
# every component on its own thread over one store and the in-process bus. Any race report fails the run (halt_on_error).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-tsan"

cmake -S "$root" -B "$build" -G Ninja -DAUTOLAND_TSAN=ON -DAUTOLAND_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=(autoland autoland_unit_tests autoland_service_tests autoland_bus_tests autoland_api_tests autoland_ci_tests autoland_queue_tests
  autoland_ldap_tests autoland_store_tests)
ninja -C "$build" "${targets[@]}"

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp"
run() {
  local name=$1
  shift
  local start=$SECONDS
  if ! "$@" >"$build/tsan_$name.log" 2>&1; then
    echo "tsan $name: FAILED (log: $build/tsan_$name.log)"
    grep -A30 "WARNING: ThreadSanitizer" "$build/tsan_$name.log" | head -60 || tail -30 "$build/tsan_$name.log"
    return 1
  fi
  echo "tsan $name: ok ($((SECONDS - start)) s)"
}
status=0
run unit "$build/tests/autoland_unit_tests" || status=1
run service "$build/tests/autoland_service_tests" || status=1
run bus "$build/tests/autoland_bus_tests" --gtest_filter='-RabbitMqBus.*' || status=1
run api "$build/tests/autoland_api_tests" || status=1
run ci "$build/tests/autoland_ci_tests" || status=1
run queue "$build/tests/autoland_queue_tests" \
  --gtest_filter='QueueCycle.APassValidatesSideBySideAndLooksEachPersonUpOnce:QueueCycle.ATreestatus*:Treestatus*' ||
  status=1
# Alone, so it is its process's first use of libldap (whose set-up is not thread-safe).
run ldap "$build/tests/autoland_ldap_tests" --gtest_filter='RealSlapd.TheFirstLookUpsMayComeFromManyThreadsAtOnce' || status=1
run store "$build/tests/autoland_store_tests" --gtest_filter='PostgresStore.*' || status=1
run sandbox "$build/autoland" sandbox --timeout 280 || status=1
exit $status
