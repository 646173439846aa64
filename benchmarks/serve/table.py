#!/usr/bin/env python3
"""Reads benchmarks/serve/run.sh's JSON lines; prints medians over rounds per (server, adapters, clients):
generated tokens/s over the wall time, the aggregate decode rate, TTFT and ITL, and the issue's ratios,
each from medians of the same run."""
import json, statistics, sys

rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
cells = {}
for r in rows:
    key = (r["server"], r["result"]["style"], r["result"]["clients"])
    cells.setdefault(key, []).append(r["result"])


def med(key, field):
    values = [x[field] for x in cells.get(key, []) if x.get(field) is not None]
    return statistics.median(values) if values else float("nan")


names = {"model": "4 adapters", "lora": "4 adapters", "dlp": "dlp router", "base": "no adapter"}
print(f"{'server':13} {'adapters':11} {'clients':>7} {'tok/s':>7} {'decode':>7} {'TTFT p50':>9} {'TTFT p99':>9} {'ITL p50':>8} {'ITL p99':>8} {'errors':>6}")
for key in sorted(cells, key=lambda k: (k[0], k[1], k[2])):
    errors = sum(x["error_count"] for x in cells[key])
    print(f"{key[0]:13} {names[key[1]]:11} {key[2]:>7} {med(key, 'tokens_per_second'):>7.1f} {med(key, 'decode_tokens_per_second'):>7.1f} {med(key, 'ttft_p50_ms'):>9.1f} "
          f"{med(key, 'ttft_p99_ms'):>9.1f} {med(key, 'itl_p50_ms'):>8.1f} {med(key, 'itl_p99_ms'):>8.1f} {errors:>6}")
d1, d16 = med(("dlp-gpu", "model", 1), "tokens_per_second"), med(("dlp-gpu", "model", 16), "tokens_per_second")
l16 = med(("llama-server", "lora", 16), "tokens_per_second")
itl1, itl99 = med(("dlp-gpu", "model", 1), "itl_p50_ms"), med(("dlp-gpu", "model", 16), "itl_p99_ms")
dd1, dd16 = med(("dlp-gpu", "model", 1), "decode_tokens_per_second"), med(("dlp-gpu", "model", 16), "decode_tokens_per_second")
print(f"\naggregate at 16 clients / 1 client, dlp-gpu, 4 adapters: {d16 / d1:.2f}x generated tokens/s, {dd16 / dd1:.2f}x decode rate (target >= 3x)")
print(f"dlp-gpu / llama-server aggregate at 16 clients, 4 different adapters: {d16 / l16:.2f}x (target >= 1.5x)")
print(f"p99 inter-token latency at 16 clients / median at 1 client, dlp-gpu: {itl99 / itl1:.2f}x (target <= 3x)")
