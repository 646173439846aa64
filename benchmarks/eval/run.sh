#!/bin/sh
# The paper-style evaluation of the demo pack (SmolLM2-135M-Instruct + the four task adapters in
# demo/adapters + demo/router.safetensors) on the held-out split of its BIG-bench tasks: base, the task's
# own adapter (single), DLP routing, and composite prompts (another task's input before each prompt).
# Adapters: scripts/train_demo_adapters.py (seed 0); router: scripts/train_demo_router.sh (seed 1).
# Usage: benchmarks/eval/run.sh > benchmarks/results/DATE-eval-cpu.txt   (LIMIT, COMPOSITE_LIMIT: examples per task)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
scripts/fetch-smollm2.sh >/dev/null
scripts/fetch-bigbench.sh >/dev/null
swift build -c release >/dev/null
t=.cache/bigbench/tasks
tasks="$t/date_understanding $t/intent_recognition $t/reasoning_about_colored_objects $t/social_support"
echo "# dlp-gpu eval --mode base,single,dlp --limit ${LIMIT:-100}, $(date -u +%F), held-out split of scripts/demo_tasks.py"
# shellcheck disable=SC2086
.build/release/dlp-gpu eval --device cpu --data $tasks --mode base,single,dlp --limit "${LIMIT:-100}" 2>/dev/null
echo
echo "# dlp-gpu eval --mode composite --limit ${COMPOSITE_LIMIT:-40}"
# shellcheck disable=SC2086
.build/release/dlp-gpu eval --device cpu --data $tasks --mode composite --limit "${COMPOSITE_LIMIT:-40}" 2>/dev/null
