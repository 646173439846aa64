# Draws decode latency against K (fused adapters) and against N (loaded adapters) from two `dlp-gpu bench
# --json` outputs, with single-LoRA latency as a dashed line, as one SVG (no plotting library needed).
# Usage: python3 benchmarks/plot.py K_SWEEP.json N_SWEEP.json OUT.svg
import json, sys

def series(path, key):
    data = json.load(open(path))
    single = next(r for r in data["results"] if r["mode"] == "single")["decode_ms_per_step"]["median"]
    points = sorted((r[key], r["decode_ms_per_step"]["median"], r["decode_ms_per_step"]["min"], r["decode_ms_per_step"]["max"])
                    for r in data["results"] if r["mode"] == "dlp")
    return data["setup"], single, points

def panel(x0, title, xlabel, single, points):
    w, h, pad = 360, 240, 40
    xs = [p[0] for p in points]
    top = max(max(p[3] for p in points), single) * 1.15
    sx = lambda v: x0 + pad + (v - min(xs)) / max(max(xs) - min(xs), 1) * (w - 2 * pad)
    sy = lambda v: 30 + h - pad - v / top * (h - 2 * pad)
    out = [f'<text x="{x0 + w / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>',
           f'<line x1="{x0 + pad}" y1="{sy(0)}" x2="{x0 + w - pad}" y2="{sy(0)}" stroke="black"/>',
           f'<line x1="{x0 + pad}" y1="{sy(0)}" x2="{x0 + pad}" y2="{sy(top)}" stroke="black"/>',
           f'<text x="{x0 + w / 2}" y="{30 + h - 8}" text-anchor="middle" font-size="12">{xlabel}</text>',
           f'<text x="{x0 + 10}" y="{sy(top / 2)}" font-size="12" transform="rotate(-90 {x0 + 10} {sy(top / 2)})" text-anchor="middle">decode ms/token</text>',
           f'<line x1="{x0 + pad}" y1="{sy(single)}" x2="{x0 + w - pad}" y2="{sy(single)}" stroke="gray" stroke-dasharray="5,4"/>',
           f'<text x="{x0 + w - pad}" y="{sy(single) - 4}" text-anchor="end" font-size="11" fill="gray">single LoRA {single:.2f}</text>']
    for i in range(5):
        v = top * i / 4
        out.append(f'<text x="{x0 + pad - 4}" y="{sy(v) + 4}" text-anchor="end" font-size="10">{v:.1f}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(p[0]):.1f},{sy(p[1]):.1f}" for i, p in enumerate(points))
    out.append(f'<path d="{path}" fill="none" stroke="steelblue" stroke-width="2"/>')
    for x, m, lo, hi in points:
        out.append(f'<line x1="{sx(x)}" y1="{sy(lo)}" x2="{sx(x)}" y2="{sy(hi)}" stroke="steelblue"/>')
        out.append(f'<circle cx="{sx(x)}" cy="{sy(m)}" r="3" fill="steelblue"/>')
        out.append(f'<text x="{sx(x)}" y="{sy(0) + 14}" text-anchor="middle" font-size="10">{x}</text>')
    return out

setup, single_k, k_points = series(sys.argv[1], "k")
_, single_n, n_points = series(sys.argv[2], "n")
body = panel(0, "DLP decode latency vs fused K (N=8)", "K (adapters fused per sentence)", single_k, k_points)
body += panel(380, "DLP decode latency vs loaded N (K=3)", "N (adapters loaded)", single_n, n_points)
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="760" height="300" font-family="sans-serif">',
       '<rect width="760" height="300" fill="white"/>'] + body + \
      [f'<text x="380" y="292" text-anchor="middle" font-size="10" fill="gray">{setup[:140]}</text>', '</svg>']
open(sys.argv[3], "w").write("\n".join(svg))
