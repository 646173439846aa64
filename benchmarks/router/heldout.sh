#!/bin/sh
# Router robustness benchmark: trains the router with and without scalar-class features (train-router
# --scalar-classes / --no-scalar-classes) on two BIG-bench task sets, for seeds 1 to 5 (the seed also
# draws the 20% held out), and prints each run's held-out accuracy per task, its overall accuracy and
# training time. The sets: the 14 tasks of benchmarks/router/run.sh, and 16 tasks the router was never
# tuned on (emoji-only, brackets, ASCII art, SVG paths, code, Kannada, Hindi, Persian, IPA; 34 to 2,000
# texts). Usage: benchmarks/router/heldout.sh > benchmarks/results/DATE-router-heldout-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
scripts/fetch-bigbench.sh >/dev/null
swift build -c release >/dev/null
out=.cache/bench-router-heldout.safetensors
echo "# dlp-gpu train-router, held out 20%, seeds 1-5, $(date -u +%F), $(nproc) cores; per task: accuracy of each seed"
for set in router-heldout router; do
  for classes in --scalar-classes --no-scalar-classes; do
    echo
    echo "## .cache/bigbench/$set $classes"
    for seed in 1 2 3 4 5; do
      .build/release/dlp-gpu train-router --data ".cache/bigbench/$set" --out "$out" --seed "$seed" $classes 2>/dev/null \
        | awk -v seed="$seed" '/^trained in/ { t = $3 } /^held-out/ { on = 1; next } on && /^task/ { next }
                                on && /^confusion/ { on = 0 } on { print seed, $1, $3 } END { print seed, "training_seconds", t }'
    done | awk '{ key[$2] = key[$2] " " $3; if (!($2 in seen)) { order[n++] = $2; seen[$2] = 1 } }
                END { for (i = 0; i < n; i++) printf "%-38s%s\n", order[i], key[order[i]] }'
  done
done
