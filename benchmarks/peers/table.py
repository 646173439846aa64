# Prints dlp-gpu's bench JSON and the peers' JSON lines as one table with the ratios the targets use.
import json, sys
dlp = json.load(open(sys.argv[1]))
rows = {r["mode"]: r for r in dlp["results"]}
peers = [json.load(open(p)) for p in sys.argv[2:]]
print(f"# dlp-gpu: {dlp['setup']}")
print(f"{'engine':62} {'prefill tok/s':>13} {'decode ms/tok':>13} {'decode tok/s':>12}")
def line(name, prefill, decode_ms):
    print(f"{name:62} {prefill:13.1f} {decode_ms:13.2f} {1000 / decode_ms:12.1f}")
line("dlp-gpu, F16 GGUF, base", rows["base"]["prefill_tokens_per_second"], rows["base"]["decode_ms_per_step"]["median"])
line("dlp-gpu, F16 GGUF, 1 unmerged LoRA r=8 q,v", rows["single"]["prefill_tokens_per_second"], rows["single"]["decode_ms_per_step"]["median"])
for p in peers:
    line(p["name"][:62], p["prefill_tokens_per_second"], p["decode_ms_per_token"])
llama, hf = peers[0], peers[1]
base, single = rows["base"], rows["single"]
print(f"decode vs llama.cpp: {llama['decode_ms_per_token'] / base['decode_ms_per_step']['median']:.2f}x (target >= 1.0x)")
print(f"prefill vs llama.cpp: {base['prefill_tokens_per_second'] / llama['prefill_tokens_per_second']:.2f}x (target >= 0.7x)")
print(f"decode with one LoRA vs transformers+PEFT: {hf['decode_ms_per_token'] / single['decode_ms_per_step']['median']:.2f}x (target >= 3x)")
