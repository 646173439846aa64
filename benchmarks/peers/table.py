# Prints dlp-gpu's bench JSON and the peers' JSON as one table with the ratios the targets use. dlp-gpu
# and llama.cpp ran in alternating rounds (one file each per round): the table shows their medians over
# the rounds, and a ratio to llama.cpp is the median of the rounds' ratios (each round's pair ran back
# to back, so the machine's drift between rounds cancels).
# Usage: python3 table.py HF.json DLP_1.json LLAMA_1.json [DLP_2.json LLAMA_2.json ...]
import json, statistics, sys

hf = json.load(open(sys.argv[1]))
pairs = sys.argv[2:]
if len(pairs) < 2 or len(pairs) % 2:
    sys.exit("usage: table.py HF.json DLP_1.json LLAMA_1.json [DLP_2.json LLAMA_2.json ...]")
dlps = [{r["mode"]: r for r in json.load(open(p))["results"]} for p in pairs[0::2]]
llamas = [json.load(open(p)) for p in pairs[1::2]]
setup = json.load(open(pairs[0]))["setup"]
med = statistics.median

def dlp_decode(run, mode): return run[mode]["decode_ms_per_step"]["median"]
def dlp_prefill(run, mode): return run[mode]["prefill_tokens_per_second"]

print(f"# dlp-gpu: {setup}; {len(dlps)} alternating rounds of dlp-gpu and llama.cpp")
print(f"{'engine':62} {'prefill tok/s':>13} {'decode ms/tok':>13} {'decode tok/s':>12}")
def line(name, prefill, decode_ms):
    print(f"{name:62} {prefill:13.1f} {decode_ms:13.2f} {1000 / decode_ms:12.1f}")
line("dlp-gpu, F16 GGUF, base", med(dlp_prefill(d, "base") for d in dlps), med(dlp_decode(d, "base") for d in dlps))
line("dlp-gpu, F16 GGUF, 1 unmerged LoRA r=8 q,v", med(dlp_prefill(d, "single") for d in dlps), med(dlp_decode(d, "single") for d in dlps))
line(llamas[0]["name"][:62], med(l["prefill_tokens_per_second"] for l in llamas), med(l["decode_ms_per_token"] for l in llamas))
line(hf["name"][:62], hf["prefill_tokens_per_second"], hf["decode_ms_per_token"])
decode = [l["decode_ms_per_token"] / dlp_decode(d, "base") for d, l in zip(dlps, llamas)]
prefill = [dlp_prefill(d, "base") / l["prefill_tokens_per_second"] for d, l in zip(dlps, llamas)]
rounds = lambda values: ", ".join(f"{v:.2f}" for v in values)
print(f"decode vs llama.cpp: {med(decode):.2f}x (target >= 1.0x; rounds: {rounds(decode)})")
print(f"prefill vs llama.cpp: {med(prefill):.2f}x (target >= 0.7x; rounds: {rounds(prefill)})")
single = med(dlp_decode(d, "single") for d in dlps)
print(f"decode with one LoRA vs transformers+PEFT: {hf['decode_ms_per_token'] / single:.2f}x (target >= 3x)")
