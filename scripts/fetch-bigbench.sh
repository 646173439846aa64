#!/bin/sh
# Fetches real BIG-bench tasks from the sdist of `bigbench` on PyPI into the git-ignored cache, and writes
# each task's inputs in the paper's router format: .cache/bigbench/router/<task>.json, a JSON list of
# {"Q": input, "A": target}, for the 14 tasks of the router benchmark; the demo pack's tasks
# (scripts/demo_tasks.py) go to .cache/bigbench/demo-router/, and 16 tasks the router was never tuned
# on (emoji-only, brackets, ASCII art, SVG paths, code, Kannada, Hindi, Persian, IPA; 34 to 2,000
# texts) to .cache/bigbench/router-heldout/. The raw task.json files stay in .cache/bigbench/tasks/<task>/.
# Usage: scripts/fetch-bigbench.sh [CACHE_DIR]   (default: .cache/bigbench). Prints the router folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/bigbench}
version=1.0.0
marker="$cache/.complete-$version-heldout1"
tasks="intent_recognition social_iqa strategyqa sports_understanding winowhy navigate date_understanding
causal_judgment snarks disambiguation_qa hyperbaton movie_recommendation logical_deduction emoji_movie"
demo_tasks="date_understanding intent_recognition reasoning_about_colored_objects social_support"
heldout_tasks="emojis_emotion_prediction dyck_languages kannada entailed_polarity_hindi persian_idioms geometric_shapes
auto_debugging code_line_description what_is_the_tao common_morpheme odd_one_out penguins_in_a_table
international_phonetic_alphabet_nli irony_identification mnist_ascii hinglish_toxicity"
all_tasks=$(printf '%s\n' $tasks $demo_tasks $heldout_tasks | sort -u)
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
  # shellcheck disable=SC2086
  python3 "$top/scripts/bigbench_to_router.py" "$cache/tasks" "$cache/router-heldout" $heldout_tasks
  rm -rf "$cache/download"
  touch "$marker"
fi
echo "$cache/router"
