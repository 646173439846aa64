#!/bin/sh
# Runs every libFuzzer target (Fuzz/) for SECONDS each, on a corpus kept in .cache/fuzz/TARGET seeded from
# real files (chat templates, JSON fixtures, the committed safetensors, GGUF, tokenizer, adapter and router
# files), with the format's dictionary. The reader targets are one binary, fuzz-readers, run once per
# FUZZ_TARGET. A crash (AddressSanitizer included), an abort from a target's own check, a hang past 10 s or
# 2 GB of memory stops the target, leaves the input in .cache/fuzz/TARGET/, and fails the run. LeakSanitizer
# is off: Swift keeps tag bits in the spare bits of enum payload pointers, so memory a live value holds (a
# parsed template in a global) looks unreachable to it. Prints each target's executions and coverage.
# `make fuzz` builds the targets first.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default 60 s, every target; FUZZ_SEED=N fixes libFuzzer's seed, as CI does)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-template json safetensors gguf tokenizer-json tokenize adapter router segment}
bin=.build-fuzz/release
status=0
for target in $targets; do
  dir=.cache/fuzz/$target
  mkdir -p "$dir/corpus" "$dir/seeds"
  binary=$bin/fuzz-readers
  max_len=65536
  case $target in
    template) binary=$bin/fuzz-template; dict=Fuzz/jinja.dict
      cp .cache/chat-templates/*.jinja "$dir/seeds/" 2>/dev/null ;;
    json) binary=$bin/fuzz-json; dict=Fuzz/json.dict
      cp Tests/Fixtures/chat/golden.json Tests/Fixtures/tokenizers/*.json "$dir/seeds/" 2>/dev/null ;;
    safetensors) dict=Fuzz/safetensors.dict; max_len=524288
      cp Tests/Fixtures/tiny-llama/model.safetensors "$dir/seeds/model.safetensors"
      cp Tests/Fixtures/gguf/quant-types.safetensors "$dir/seeds/" ;;
    gguf) dict=Fuzz/gguf.dict; max_len=262144
      cp Tests/Fixtures/gguf/*.gguf "$dir/seeds/" ;;
    tokenizer-json) dict=Fuzz/tokenizer.dict
      cp Tests/Fixtures/tokenizers/bytelevel.json Tests/Fixtures/tokenizers/llama3.json Tests/Fixtures/tokenizers/metaspace.json \
         Tests/Fixtures/tokenizers/spm.json "$dir/seeds/" ;;
    tokenize) dict=Fuzz/tokenizer.dict; max_len=4096
      python3 -c 'import json,sys; [open(sys.argv[1]+"/s%03d.txt" % i, "w", encoding="utf-8").write(s) for i, s in enumerate(json.load(open("Tests/Fixtures/tokenizers/canonical.json"))["strings"])]' "$dir/seeds" ;;
    adapter) dict=Fuzz/adapter.dict
      for a in Tests/Fixtures/lora/tiny-llama/*/; do cp "$a/adapter_config.json" "$dir/seeds/$(basename "$a").json"; done ;;
    router) dict=Fuzz/safetensors.dict; max_len=262144
      cp Tests/Fixtures/router/tiny-router.safetensors "$dir/seeds/" ;;
    segment) dict=Fuzz/tokenizer.dict; max_len=4096
      python3 -c 'import json,sys; [open(sys.argv[1]+"/s%03d.txt" % i, "w", encoding="utf-8").write(s) for i, s in enumerate(json.load(open("Tests/Fixtures/tokenizers/golden.json"))["strings"])]' "$dir/seeds" ;;
    *) echo "unknown fuzz target '$target'"; exit 2 ;;
  esac
  FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$binary" "$dir/corpus" "$dir/seeds" -dict="$dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -detect_leaks=0 -seed="${FUZZ_SEED:-0}" -max_len="$max_len" -artifact_prefix="$dir/" -print_final_stats=1 \
    > "$dir/last-run.txt" 2>&1
  code=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/last-run.txt" | tail -n 1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$dir/last-run.txt" | tail -n 1)
  echo "$target: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}, exit $code"
  if [ $code -ne 0 ]; then
    status=1
    grep -E "ERROR|SUMMARY|artifact|differs|abort|Fatal" "$dir/last-run.txt" | head -n 20
  fi
done
exit $status
