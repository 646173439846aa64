#!/bin/sh
# Trains the demo router (demo/router.safetensors) with dlp-gpu train-router on the demo's four BIG-bench
# tasks (scripts/demo_tasks.py), seed 1, a small embedding table (16384 buckets x 32) so the file stays
# small; prints the held-out table. Usage: scripts/train_demo_router.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
data=$(dirname "$(scripts/fetch-bigbench.sh)")/demo-router
swift build -c release >/dev/null
.build/release/dlp-gpu train-router --seed 1 --buckets 16384 --embed-dim 32 --out demo/router.safetensors \
  --data "$data/date_understanding.json" "$data/intent_recognition.json" "$data/reasoning_about_colored_objects.json" \
  "$data/social_support.json" 2>/dev/null
