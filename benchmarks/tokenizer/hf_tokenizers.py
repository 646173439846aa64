# Times `tokenizers` (one thread) on the text, checks it gives the same ids count as dlp-gpu, and prints
# both throughputs and their ratio. Arguments: tokenizer.json, text file, dlp-gpu's two --bench JSON lines.
import json, sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
size = len(text.encode())
ids = tok.encode(text, add_special_tokens=False).ids
rounds, start = 0, time.perf_counter()
while time.perf_counter() - start < 2.0:
    tok.encode(text, add_special_tokens=False)
    rounds += 1
hf = size * rounds / (time.perf_counter() - start) / 1e6
ours_gguf, ours_json = json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"text: {size} bytes, {len(ids)} tokens (tokenizers) / {ours_gguf['tokens']} (dlp-gpu, GGUF) / {ours_json['tokens']} (dlp-gpu, tokenizer.json)")
print(f"tokenizers {tok.__class__.__module__} 1 thread : {hf:6.2f} MB/s")
print(f"dlp-gpu, SmolLM2 GGUF            : {ours_gguf['mb_per_second']:6.2f} MB/s  ratio {ours_gguf['mb_per_second'] / hf:.2f}x")
print(f"dlp-gpu, tokenizer.json          : {ours_json['mb_per_second']:6.2f} MB/s  ratio {ours_json['mb_per_second'] / hf:.2f}x")
