#!/bin/sh
# Runs every libFuzzer target (Fuzz/) for SECONDS each, on a corpus kept in .cache/fuzz/TARGET (seeded
# from the real chat templates and the JSON fixtures), with the format's dictionary. A crash (AddressSanitizer
# included), a hang past 10 s or 2 GB of memory stops the target, leaves the input in .cache/fuzz/TARGET/,
# and fails the run. LeakSanitizer is off: Swift keeps tag bits in the spare bits of enum payload pointers,
# so memory a live value holds (a parsed template in a global) looks unreachable to it. Prints each
# target's executions and coverage. `make fuzz` builds the targets first.
# Usage: scripts/fuzz.sh [SECONDS]   (default 60; FUZZ_SEED=N fixes libFuzzer's seed, as CI does)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-60}
bin=.build-fuzz/release
status=0
for target in fuzz-template fuzz-json; do
  dir=.cache/fuzz/$target
  mkdir -p "$dir/corpus" "$dir/seeds"
  case $target in
    fuzz-template) cp .cache/chat-templates/*.jinja "$dir/seeds/" 2>/dev/null; dict=Fuzz/jinja.dict ;;
    fuzz-json) cp Tests/Fixtures/chat/golden.json Tests/Fixtures/tokenizers/*.json "$dir/seeds/" 2>/dev/null; dict=Fuzz/json.dict ;;
  esac
  ASAN_OPTIONS=detect_leaks=0 "$bin/$target" "$dir/corpus" "$dir/seeds" -dict="$dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -seed="${FUZZ_SEED:-0}" \
    -max_len=65536 -artifact_prefix="$dir/" -print_final_stats=1 > "$dir/last-run.txt" 2>&1
  code=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/last-run.txt" | tail -n 1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$dir/last-run.txt" | tail -n 1)
  echo "$target: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}, exit $code"
  if [ $code -ne 0 ]; then
    status=1
    grep -E "ERROR|SUMMARY|artifact" "$dir/last-run.txt" | head -n 20
  fi
done
exit $status
