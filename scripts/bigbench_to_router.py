# Converts BIG-bench task.json files to the router format of the DLP-LoRA paper's code: one JSON list of
# {"Q": input, "A": target} per task. Tasks whose examples live in subtask folders are merged. The target
# is the text target, or the option with the highest target score.
# Usage: python3 scripts/bigbench_to_router.py [--max N] TASKS_DIR OUT_DIR TASK...   (--max: the first N
# examples of a task, default 2000, so a 70,000-example task stays a small file)
import glob, json, os, sys

args = sys.argv[1:]
limit = 2000
if args[:1] == ["--max"]:
    limit, args = int(args[1]), args[2:]
tasks_dir, out_dir, names = args[0], args[1], args[2:]
os.makedirs(out_dir, exist_ok=True)
for name in names:
    files = sorted(glob.glob(os.path.join(tasks_dir, name, "**", "task.json"), recursive=True))
    examples = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            task = json.load(f)
        prefix = task.get("example_input_prefix", "")
        for ex in task.get("examples", []):
            if "target" in ex:
                target = ex["target"] if isinstance(ex["target"], str) else ex["target"][0]
            else:
                scores = ex.get("target_scores", {})
                target = max(scores, key=scores.get) if scores else ""
            examples.append({"Q": ex["input"], "A": target})
    examples = examples[:limit]
    if not examples:
        raise SystemExit(f"{name}: no examples in {tasks_dir}/{name}")
    with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(examples, f, ensure_ascii=False)
    print(f"{name}: {len(examples)} examples from {len(files)} task.json", file=sys.stderr)
