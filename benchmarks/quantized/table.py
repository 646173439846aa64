#!/usr/bin/env python3
"""The table of benchmarks/quantized/run.sh: per file, medians over rounds of dlp-gpu's and llama.cpp's
prefill and decode tokens/s, the median of the per-round ratios (dlp-gpu / llama.cpp), and dlp-gpu's
peak resident memory against the file size.
Usage: table.py TYPE:DLP.json:LLAMA_PP.json:LLAMA_TG.json:FILE ..."""
import json
import os
import statistics
import sys


def main():
    rows = {}
    for arg in sys.argv[1:]:
        kind, dlp_path, pp_path, tg_path, file = arg.split(":")
        dlp = json.load(open(dlp_path))
        base = dlp["results"][0]
        llama_pp = json.load(open(pp_path))[0]["avg_ts"]
        llama_tg = json.load(open(tg_path))[0]["avg_ts"]
        row = rows.setdefault(kind, {"pp": [], "tg": [], "lpp": [], "ltg": [], "rss": [], "file": os.path.getsize(file)})
        row["pp"].append(base["prefill_tokens_per_second"])
        row["tg"].append(base["decode_tokens_per_second"])
        row["lpp"].append(llama_pp)
        row["ltg"].append(llama_tg)
        row["rss"].append(dlp["peak_rss_mib"])
    med = statistics.median
    print(f"{'file':8} {'prefill dlp':>11} {'llama.cpp':>9} {'ratio':>6}   {'decode dlp':>10} {'llama.cpp':>9} {'ratio':>6}   "
          f"{'file MiB':>8} {'peak RSS MiB':>12}  (round ratios: prefill; decode)")
    for kind, r in rows.items():
        pp_ratios = [a / b for a, b in zip(r["pp"], r["lpp"])]
        tg_ratios = [a / b for a, b in zip(r["tg"], r["ltg"])]
        print(f"{kind:8} {med(r['pp']):11.1f} {med(r['lpp']):9.1f} {med(pp_ratios):5.2f}x   {med(r['tg']):10.1f} "
              f"{med(r['ltg']):9.1f} {med(tg_ratios):5.2f}x   {r['file'] / 1048576:8.1f} {max(r['rss']):12.1f}  "
              f"({', '.join(f'{x:.2f}' for x in pp_ratios)}; {', '.join(f'{x:.2f}' for x in tg_ratios)})")


if __name__ == "__main__":
    main()
