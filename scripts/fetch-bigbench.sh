#!/bin/sh
# Fetches real BIG-bench tasks from the sdist of `bigbench` on PyPI into the git-ignored cache, and writes
# each task's inputs in the paper's router format: .cache/bigbench/router/<task>.json, a JSON list of
# {"Q": input, "A": target}. The raw task.json files stay in .cache/bigbench/tasks/<task>/.
# Usage: scripts/fetch-bigbench.sh [CACHE_DIR]   (default: .cache/bigbench). Prints the router folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/bigbench}
version=1.0.0
tasks="intent_recognition social_iqa strategyqa sports_understanding winowhy navigate date_understanding
causal_judgment snarks disambiguation_qa hyperbaton movie_recommendation logical_deduction emoji_movie"
if [ ! -f "$cache/.complete-$version" ]; then
  mkdir -p "$cache/download" "$cache/tasks"
  [ -f "$cache/download/bigbench-$version.tar.gz" ] || \
    python3 -m pip download -q --no-deps --no-binary bigbench --dest "$cache/download" "bigbench==$version" >&2
  members=""
  for t in $tasks; do members="$members bigbench-$version/bigbench/benchmark_tasks/$t"; done
  # shellcheck disable=SC2086
  tar -xzf "$cache/download/bigbench-$version.tar.gz" -C "$cache/download" $members
  for t in $tasks; do rm -rf "$cache/tasks/$t"; mv "$cache/download/bigbench-$version/bigbench/benchmark_tasks/$t" "$cache/tasks/$t"; done
  python3 "$top/scripts/bigbench_to_router.py" "$cache/tasks" "$cache/router" $tasks
  rm -rf "$cache/download"
  touch "$cache/.complete-$version"
fi
echo "$cache/router"
