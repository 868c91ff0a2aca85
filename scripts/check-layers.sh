#!/usr/bin/env bash
# The layering rule of ARCHITECTURE.md, checked on every #include "..." of the
# sources under ROOT (default: the repository): a file may include only the
# layers its own layer may see. Prints each wrong-way include as
# FILE:LINE: LAYER may not include INCLUDED, and exits 1 when there is one.
#
#   util      util
#   core      util core                      (pure: the standard library only)
#   ports     util core ports                (interfaces)
#   adapters  util core ports, its own adapter, and the shared
#             adapters/http, adapters/process, adapters/store/sqlite, adapters/store/sql
#   services  util core ports services       (never an adapter)
#   app       util core ports services adapters api app (the composition root)
#   api       util core ports services api   (presentation; no adapter)
#   sandbox   util core sandbox adapters/http adapters/process (the fake servers)
#   sandbox/cycle  everything but cli and tests (the sandbox's whole cycle composes the app)
#   cli       everything but tests
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

allowed() {  # layer of the including file, included path -> 0 when allowed
  local from=$1 file=$2 inc=$3 top=${3%%/*}
  case $from in
    util) [[ $top == util ]] ;;
    core) [[ $top == util || $top == core ]] ;;
    ports) [[ $top == util || $top == core || $top == ports ]] ;;
    adapters)
      local own
      own=$(cut -d/ -f2 <<<"$file")
      case $top in
        util | core | ports) return 0 ;;
        adapters)
          [[ $inc == adapters/$own/* || $inc == adapters/http/* || $inc == adapters/process/* ||
            $inc == adapters/store/sqlite/* || $inc == adapters/store/sql/* ]] ;;
        *) return 1 ;;
      esac ;;
    services) [[ $top == util || $top == core || $top == ports || $top == services ]] ;;
    app) [[ $top =~ ^(util|core|ports|services|adapters|api|app)$ ]] ;;
    api) [[ $top =~ ^(util|core|ports|services|api)$ ]] ;;
    sandbox)
      if [[ $file == sandbox/cycle/* ]]; then
        [[ $top != cli && $top != tests ]]
      else
        [[ $top =~ ^(util|core|sandbox)$ || $inc == adapters/http/* || $inc == adapters/process/* ]]
      fi ;;
    cli) [[ $top != tests ]] ;;
    *) return 0 ;;
  esac
}

bad=0
checked=0
while IFS= read -r file; do
  layer=${file%%/*}
  while IFS=: read -r line inc; do
    inc=${inc#*\"}
    inc=${inc%%\"*}
    [[ $inc == */* ]] || continue  # a file beside it, or a system header in quotes
    checked=$((checked + 1))
    if ! allowed "$layer" "$file" "$inc"; then
      echo "$file:$line: $layer may not include $inc (ARCHITECTURE.md: dependencies point one way)"
      bad=1
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find util core ports adapters services app api sandbox cli -type f \( -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort)

if [[ $bad -ne 0 ]]; then
  echo "layers: wrong-way includes found" >&2
  exit 1
fi
echo "layers: $checked includes, all pointing the right way"
