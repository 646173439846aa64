#!/bin/sh
# Router benchmark: trains the DLP router on 14 real BIG-bench tasks (80% of each, at most 2000 texts per
# task), prints the held-out per-task accuracy table and confusion matrix, the training time, and the time
# to route one sentence. Usage: benchmarks/router/run.sh > benchmarks/results/DATE-router-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(scripts/fetch-bigbench.sh)
swift build -c release >/dev/null
out=.cache/bench-router.safetensors
echo "# dlp-gpu train-router --data $data --out $out (seed 1, held out 20%), $(date -u +%F), $(nproc) cores"
/usr/bin/time -o .cache/bench-router.time -f "# wall time of train-router: %e s" .build/release/dlp-gpu train-router --data "$data" --out "$out" 2>/dev/null
cat .cache/bench-router.time
echo
echo "# routing time per sentence (featurize + mini-MLP + top-p), dlp-gpu route --bench:"
.build/release/dlp-gpu route --router "$out" --bench "Yesterday was April 30, 2021. What is the date today in MM/DD/YYYY? Jamal Murray was perfect from the line. Take 1 step. Take 2 steps. Turn around. Is it common to see frost during some college commencements? Utterance: Add Sabrina Salerno to the grime instrumentals playlist."
