#!/bin/sh
# Chat-template rendering speed: dlp-gpu's Jinja interpreter against transformers' own renderer (Jinja2
# 3.1.6 as transformers 4.46.3 compiles it) on real templates (llama.cpp's test templates) and the same
# conversations: 10 messages, and a tool call with two tool definitions. Alternating rounds; the ratio is
# the median over rounds of (transformers time / dlp-gpu time) measured in the same round.
# Usage: benchmarks/template/run.sh > benchmarks/results/DATE-template-cpu.txt   (ROUNDS, default 3)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rounds=${ROUNDS:-3}
venv=.cache/venv-templates
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q transformers==4.46.3 jinja2==3.1.6 MarkupSafe==3.0.4; }
templates=$(scripts/fetch-chat-templates.sh)
work=.cache/bench-template
mkdir -p "$work"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
messages = [{"role": "system", "content": "You are a helpful assistant."}]
for i in range(9):
    messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": f"Message number {i}, with a few words of ordinary text in it."})
json.dump({"messages": messages}, open(f"{work}/ten-messages.json", "w"))
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}},
         {"type": "function", "function": {"name": "add", "description": "Add two numbers.",
          "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}}]
call = {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
json.dump({"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [call]},
                        {"role": "tool", "tool_call_id": "call12345", "content": "22 C"}], "tools": tools}, open(f"{work}/tool-call.json", "w"))
PY
swift build -c release >/dev/null
echo "# chat template render time, microseconds per render (median of $rounds alternating rounds); $(date -u +%Y-%m-%d), $(nproc) cores"
printf '%-44s %-13s %10s %14s %8s   %s\n' template conversation dlp-gpu transformers ratio rounds
for t in Qwen-Qwen2.5-7B-Instruct meta-llama-Llama-3.1-8B-Instruct Qwen-Qwen3-0.6B mistralai-Mistral-Nemo-Instruct-2407 microsoft-Phi-3.5-mini-instruct openai-gpt-oss-120b; do
  for c in ten-messages tool-call; do
    ours=""; theirs=""; ratios=""
    if ! refusal=$(.build/release/dlp-gpu template --template "$templates/$t.jinja" --messages "$work/$c.json" 2>&1 >/dev/null); then
      printf '%-44s %-13s   (the template refuses it: %s)\n' "$t" "$c" "$refusal"
      continue
    fi
    for r in $(seq "$rounds"); do
      a=$(.build/release/dlp-gpu template --template "$templates/$t.jinja" --messages "$work/$c.json" --add-generation-prompt --bos-token "<s>" --eos-token "</s>" --bench | cut -d' ' -f1)
      b=$("$venv/bin/python" benchmarks/template/jinja2_render.py "$templates/$t.jinja" "$work/$c.json" 2>/dev/null)
      ours="$ours $a"; theirs="$theirs $b"
      ratios="$ratios $(python3 -c "print(f'{$b / $a:.1f}')")"
    done
    python3 - "$t" "$c" "$ours" "$theirs" "$ratios" <<'PY'
import statistics, sys
t, c, ours, theirs, ratios = sys.argv[1:]
med = lambda s: statistics.median(float(x) for x in s.split())
print(f"{t:<44} {c:<13} {med(ours):10.1f} {med(theirs):14.1f} {med(ratios):7.1f}x   {ratios.strip()}")
PY
  done
done
