# The GPU suite's targets, each read from its JSON result as soon as that is measured: base decode at
# batch 1 at >= 75% of the memory roofline (weight bytes per step / decode time, against the copy
# bandwidth measured on the device, OUT_PREFIX-copy-bandwidth.txt, or else the peak in the device's
# description), DLP fused K=3 (r=16, all projections) <= 1.05x single LoRA, and a batch of 32 distinct
# plans >= 0.9x the throughput of one shared plan. Prints one line per target asked for; exits 1 if any
# is missed and 2 if its result is missing. `graphs` (not a target, never in the default) compares base
# decode replayed from CUDA graphs with the same decode op by op (DLP_GRAPHS=0), from alternating runs.
# Usage: python3 benchmarks/gpu_targets.py OUT_PREFIX [roofline] [dlp] [batch32] [graphs]   (default: the three targets)
import glob, json, os, re, sys

prefix = sys.argv[1]
wanted = sys.argv[2:] or ["roofline", "dlp", "batch32"]


def load(name):
    with open(f"{prefix}-{name}.json") as f:
        return json.load(f)


def case(results, label_start):
    return next(r for r in results["results"] if r["case"].startswith(label_start))


def roofline():
    result = load("roofline")
    base = case(result, "base")
    achieved = base["decode_weight_gb_per_second"]
    copy_file = f"{prefix}-copy-bandwidth.txt"
    if os.path.exists(copy_file):
        bound, source = float(open(copy_file).read().split()[0]), "measured copy bandwidth"
    else:
        peak = re.search(r"peak (\d+) GB/s", result["setup"])
        bound, source = (float(peak.group(1)), "peak in the device description") if peak else (0.0, "none")
    if bound <= 0:
        return False, f"roofline: base decode {achieved:.0f} GB/s of weights; no bandwidth to compare with"
    share = achieved / bound
    return share >= 0.75, (f"roofline: base decode {base['decode_ms_per_step']['median']:.3f} ms/step, {achieved:.0f} GB/s of weights"
                           f" = {share:.1%} of {bound:.0f} GB/s ({source}) (target >= 75%)")


def dlp():
    ratio = case(load("dlp-r16"), "dlp")["ratio_to_single"]     # the median of the rounds' ratios
    return ratio <= 1.05, f"dlp K=3 of 8, r=16, all projections vs single: {ratio:.3f}x (target <= 1.05)"


def batch32():
    result = load("batch32")
    mixed, shared = case(result, "mixed")["decode_tokens_per_second"], case(result, "dlp")["decode_tokens_per_second"]
    share = mixed / shared
    return share >= 0.9, f"batch 32: distinct plans {mixed:.0f} tok/s vs shared plan {shared:.0f} tok/s = {share:.3f}x (target >= 0.9)"


def graphs():
    def median(values):
        values = sorted(values)
        return (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2
    steps = {}
    for side in ("on", "off"):
        runs = sorted(glob.glob(f"{prefix}-graphs-{side}-*.json"))
        if not runs:
            raise OSError(f"no {prefix}-graphs-{side}-*.json")
        results = [json.load(open(run)) for run in runs]
        steps[side] = median([case(r, "base")["decode_ms_per_step"]["median"] for r in results])
        if side == "on":
            how = results[-1]["setup"].split(", graphs: ", 1)[-1]
    return None, (f"graphs: base decode batch 1 {steps['on']:.3f} ms/step ({how}) vs {steps['off']:.3f} ms/step op by op"
                  f" (DLP_GRAPHS=0), alternating runs: {steps['off'] / steps['on']:.2f}x")


status = 0
for name in wanted:
    try:
        if name == "graphs":
            print(graphs()[1])
            continue
        met, line = {"roofline": roofline, "dlp": dlp, "batch32": batch32}[name]()
    except (OSError, KeyError, StopIteration, ValueError) as e:
        print(f"{name}: no result ({type(e).__name__}: {e})")
        status = max(status, 2)
        continue
    print(f"{line}: {'met' if met else 'NOT met'}")
    if not met:
        status = max(status, 1)
sys.exit(status)
