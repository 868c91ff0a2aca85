#!/usr/bin/env bash
# Installs the Debian packages autoland needs: `demo` (the default for
# `make demo`) what building the binary and running `autoland sandbox`
# takes; `all` (for `make test`, `make bench`, `make fuzz`) also the
# compilers and servers the tests use. Idempotent: when everything is
# present it only asks dpkg and returns in well under a second. Needs root
# (or sudo) only when something is missing.
set -euo pipefail
set_name=${1:-demo}

demo=(
  # toolchain
  build-essential cmake ninja-build pkg-config git mercurial
  # libraries
  libsqlite3-dev sqlite3
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev
  libmicrohttpd-dev               # the REST API's server (event loop, deadlines, per-client limits)
  libldap-dev                     # the LDAP directory adapter
  libpq-dev                       # the PostgreSQL store adapter
  librabbitmq-dev                 # the RabbitMQ bus adapter
)
tests=(
  clang libclang-rt-14-dev        # libFuzzer targets, ThreadSanitizer, -Wthread-safety
  clang-format                    # scripts/check-format.sh
  clang-tidy                      # scripts/run-tidy.sh
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  openssl curl python3     # certificates for the TLS test; the e2e scripts
  buildbot buildbot-worker # the real CI master and worker of the buildbot tests
  slapd ldap-utils         # a throwaway slapd for the LDAP tests (the sandbox uses one when present)
  postgresql               # a throwaway server for the PostgreSQL store tests (sandbox/postgres)
  rabbitmq-server amqp-tools # a throwaway broker for the RabbitMQ bus tests (sandbox/rabbitmq); raw publishes
)
case $set_name in
  demo) packages=("${demo[@]}") ;;
  all) packages=("${demo[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [demo|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages of '$set_name' present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
