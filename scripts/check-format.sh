#!/usr/bin/env bash
# Every C++ file as clang-format (.clang-format) writes it; `make format`
# fixes what this reports. Prints the files that differ and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.cc' '*.h')
if [[ ${#bad[@]} -gt 0 ]]; then
  printf 'not formatted (run make format): %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: $(git ls-files '*.cc' '*.h' | wc -l) files as clang-format writes them"
