#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target of gws-fuzz for SECONDS, two at a time (two cores),
# starting from its seed corpus (Fuzz/corpus/TARGET) plus the regressions
# (Fuzz/regressions/TARGET). New inputs go to .fuzz-work/TARGET (not committed); a crash,
# a leak or a hang is written to Fuzz/findings/ and fails the run: turn it into a
# regression (copy it to Fuzz/regressions/TARGET/) once fixed.
# Usage: [FUZZ_BINARY=PATH] scripts/fuzz.sh SECONDS TARGET...
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1
shift
binary=${FUZZ_BINARY:-.build-fuzz/release/gws-fuzz}
mkdir -p Fuzz/findings
failed=0
run_one() {
  local target=$1
  mkdir -p ".fuzz-work/$target" "Fuzz/regressions/$target"
  GWS_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="Fuzz/findings/$target-" \
    ".fuzz-work/$target" "Fuzz/corpus/$target" "Fuzz/regressions/$target" > ".fuzz-work/$target.log" 2>&1
  local status=$?
  local stats
  stats=$(grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' ".fuzz-work/$target.log" | sed 's/stat:://' | tr -s ' ' | paste -sd' ')
  if [ $status = 0 ]; then
    echo "fuzz $target: ${seconds}s clean ($stats)"
  else
    echo "fuzz $target: FAILED (status $status); log .fuzz-work/$target.log, input in Fuzz/findings/"
    tail -n 30 ".fuzz-work/$target.log"
  fi
  return $status
}
set -- "$@"
while [ $# -gt 0 ]; do
  run_one "$1" & first=$!
  second=
  if [ $# -gt 1 ]; then run_one "$2" & second=$!; fi
  wait $first || failed=1
  [ -n "$second" ] && { wait $second || failed=1; }
  shift; [ $# -gt 0 ] && shift
done
exit $failed
