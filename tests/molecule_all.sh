#!/usr/bin/env bash
# Runs `molecule test` for each scenario named, timing each; stops at the first failure, after
# molecule's own destroy step has removed that scenario's containers and networks.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
times=build/molecule-times.md
printf '| scenario | result | seconds |\n|---|---|---:|\n' > "$times"
passed=0
for scenario in "$@"; do
  [ -d "molecule/$scenario" ] || { echo "molecule_all: no scenario molecule/$scenario" >&2; exit 1; }
  echo "== molecule test -s $scenario"
  start=$(date +%s)
  if molecule test -s "$scenario"; then
    printf '| %s | passed | %d |\n' "$scenario" $(( $(date +%s) - start )) >> "$times"
    passed=$((passed + 1))
  else
    printf '| %s | FAILED | %d |\n' "$scenario" $(( $(date +%s) - start )) >> "$times"
    cat "$times"
    echo "molecule: $passed passed, 1 failed"
    exit 1
  fi
done
cat "$times"
echo "molecule: $passed passed, 0 failed"
