# The GPU suite's targets, read from its JSON results: base decode at >= 60% of the memory-bandwidth
# roofline (weight bytes per step / decode time, against the device's peak from its description), DLP
# fused K=3 (r=16, all projections) <= 1.05x single LoRA, and a batch of 32 distinct plans >= 0.9x the
# throughput of one shared plan. Prints one line per target and exits 1 if any is missed.
# Usage: python3 benchmarks/gpu_targets.py OUT_PREFIX   (reads OUT_PREFIX-roofline.json, -dlp-r16.json, -batch32.json)
import json, re, sys

prefix = sys.argv[1]
def load(name):
    with open(f"{prefix}-{name}.json") as f:
        return json.load(f)
def case(results, label_start):
    return next(r for r in results["results"] if r["case"].startswith(label_start))

roofline = load("roofline")
peak = re.search(r"peak (\d+) GB/s", roofline["setup"])
base = case(roofline, "base")
achieved = base["decode_weight_gb_per_second"]
lines, ok = [], True
if peak and float(peak.group(1)) > 0:
    share = achieved / float(peak.group(1))
    ok &= share >= 0.6
    lines.append(f"roofline: base decode {base['decode_ms_per_step']['median']:.3f} ms/step, {achieved:.0f} GB/s of weights = {share:.1%} of peak {peak.group(1)} GB/s (target >= 60%): {'met' if share >= 0.6 else 'NOT met'}")
else:
    ok = False
    lines.append(f"roofline: base decode {achieved:.0f} GB/s of weights; the device reported no peak bandwidth")
dlp = load("dlp-r16")
ratio = case(dlp, "dlp")["ratio_to_single"]   # the median of the rounds' ratios
ok &= ratio <= 1.05
lines.append(f"dlp K=3 of 8, r=16, all projections vs single: {ratio:.3f}x (target <= 1.05): {'met' if ratio <= 1.05 else 'NOT met'}")
batch = load("batch32")
mixed, shared = case(batch, "mixed")["decode_tokens_per_second"], case(batch, "dlp")["decode_tokens_per_second"]
share = mixed / shared
ok &= share >= 0.9
lines.append(f"batch 32: distinct plans {mixed:.0f} tok/s vs shared plan {shared:.0f} tok/s = {share:.3f}x (target >= 0.9): {'met' if share >= 0.9 else 'NOT met'}")
print("\n".join(lines))
sys.exit(0 if ok else 1)
