#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 10, the smoke run of `npm test`);
# `npm run fuzz` runs them longer. A crash fails the run and leaves its input under
# fuzz/artifacts/<target>/ (turn it into a regression test, see tests/FUZZING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/nightly.env
seconds=${1:-10}
for target in $(cargo "+$NIGHTLY" fuzz list --fuzz-dir fuzz); do
  mkdir -p "fuzz/corpus/$target"
  echo "fuzz: $target for ${seconds}s"
  log=$(mktemp)
  if ! cargo "+$NIGHTLY" fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target failed"
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$log" || true
  rm -f "$log"
done
