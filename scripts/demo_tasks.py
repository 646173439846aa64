# The demo's BIG-bench tasks as the training script and `dlp-gpu eval` both see them: the prompt of an
# example (input prefix + input + output prefix), its options and the correct one, and the held-out split
# (an example is held out when FNV-1a-32 of its input's UTF-8 bytes is 0 mod 5; the same rule is in Swift).
import json, os

# tasks a 135M model learns from ~800 examples (sports_understanding and navigate did not: their adapters
# stayed below the base model, see benchmarks/results/2026-11-29-eval-cpu-first-tasks.txt)
TASKS = ["date_understanding", "intent_recognition", "reasoning_about_colored_objects", "social_support"]

def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h

def held_out(example):
    return fnv1a32(example["input"]) % 5 == 0

def load(tasks_dir, name):
    with open(os.path.join(tasks_dir, name, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    prefix = task.get("example_input_prefix", "").lstrip("\n")
    suffix = task.get("example_output_prefix", "") or "\nAnswer: "
    examples = []
    for ex in task["examples"]:
        scores = ex.get("target_scores")
        if not scores:
            continue
        options = list(scores)
        correct = max(options, key=lambda o: scores[o])
        examples.append({"input": ex["input"], "prompt": prefix + ex["input"] + suffix, "options": options, "answer": correct})
    return examples

def context_and_continuation(prompt, option):
    """lm-evaluation-harness style: a trailing space of the context moves to the continuation."""
    if prompt.endswith(" "):
        return prompt[:-1], " " + option
    return prompt, option
