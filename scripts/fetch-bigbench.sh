#!/bin/sh
# Fetches real BIG-bench tasks from the sdist of `bigbench` on PyPI into the git-ignored cache, and writes
# each task's inputs in the paper's router format: .cache/bigbench/router/<task>.json, a JSON list of
# {"Q": input, "A": target}, for the 14 tasks of the router benchmark; the demo pack's tasks
# (scripts/demo_tasks.py) go to .cache/bigbench/demo-router/. The raw task.json files stay in
# .cache/bigbench/tasks/<task>/.
# Usage: scripts/fetch-bigbench.sh [CACHE_DIR]   (default: .cache/bigbench). Prints the router folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/bigbench}
version=1.0.0
marker="$cache/.complete-$version-demo2"
tasks="intent_recognition social_iqa strategyqa sports_understanding winowhy navigate date_understanding
causal_judgment snarks disambiguation_qa hyperbaton movie_recommendation logical_deduction emoji_movie"
demo_tasks="date_understanding intent_recognition reasoning_about_colored_objects social_support"
all_tasks=$(printf '%s\n' $tasks $demo_tasks | sort -u)
if [ ! -f "$marker" ]; then
  mkdir -p "$cache/download" "$cache/tasks"
  [ -f "$cache/download/bigbench-$version.tar.gz" ] || \
    python3 -m pip download -q --no-deps --no-binary bigbench --dest "$cache/download" "bigbench==$version" >&2
  members=""
  for t in $all_tasks; do members="$members bigbench-$version/bigbench/benchmark_tasks/$t"; done
  # shellcheck disable=SC2086
  tar -xzf "$cache/download/bigbench-$version.tar.gz" -C "$cache/download" $members
  for t in $all_tasks; do rm -rf "$cache/tasks/$t"; mv "$cache/download/bigbench-$version/bigbench/benchmark_tasks/$t" "$cache/tasks/$t"; done
  python3 "$top/scripts/bigbench_to_router.py" "$cache/tasks" "$cache/router" $tasks
  # shellcheck disable=SC2086
  python3 "$top/scripts/bigbench_to_router.py" "$cache/tasks" "$cache/demo-router" $demo_tasks
  rm -rf "$cache/download"
  touch "$marker"
fi
echo "$cache/router"
