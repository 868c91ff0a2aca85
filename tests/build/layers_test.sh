#!/usr/bin/env bash
# scripts/check-layers.sh finds what it is for: a tree with one wrong-way
# include per kind fails naming each, and the repository itself passes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check="$root/scripts/check-layers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp"/{util,core,ports,services,api,sandbox/x,adapters/vcs/hg,adapters/http}
printf '#include "core/model.h"\n' >"$tmp/util/a.h"
printf '#include <vector>\n#include "ports/store.h"\n' >"$tmp/core/b.h"
printf '#include "services/queue/queue.h"\n' >"$tmp/ports/c.h"
printf '#include "core/model.h"\n#include "adapters/vcs/hg/hg_vcs.h"\n' >"$tmp/services/d.cc"
printf '#include "app/wiring.h"\n' >"$tmp/api/e.cc"
printf '#include "adapters/bugzilla/bugzilla_client.h"\n#include "adapters/http/json_call.h"\n#include "adapters/vcs/hg/x.h"\n' \
  >"$tmp/adapters/vcs/hg/f.cc"
printf '#include "services/trigger/trigger.h"\n' >"$tmp/sandbox/x/g.cc"
printf '#include "x.h"\n#include "core/patch.h"\n' >"$tmp/core/fine.cc"

if out=$(bash "$check" "$tmp" 2>&1); then
  echo "FAIL: a tree with wrong-way includes passed:"; echo "$out"; exit 1
fi
expect=(
  "util/a.h:1: util may not include core/model.h"
  "core/b.h:2: core may not include ports/store.h"
  "ports/c.h:1: ports may not include services/queue/queue.h"
  "services/d.cc:2: services may not include adapters/vcs/hg/hg_vcs.h"
  "api/e.cc:1: api may not include app/wiring.h"
  "adapters/vcs/hg/f.cc:1: adapters may not include adapters/bugzilla/bugzilla_client.h"
  "sandbox/x/g.cc:1: sandbox may not include services/trigger/trigger.h"
)
for e in "${expect[@]}"; do
  grep -qF "$e" <<<"$out" || { echo "FAIL: not reported: $e"; echo "$out"; exit 1; }
done
n=$(grep -c "may not include" <<<"$out")
[[ $n -eq ${#expect[@]} ]] || { echo "FAIL: $n reports, expected ${#expect[@]}:"; echo "$out"; exit 1; }

bash "$check" "$root"
echo "layers test: ok (${#expect[@]} wrong-way includes caught, the repository passes)"
