# Hugging Face transformers + PEFT on CPU torch: fp32 SmolLM2 with one unmerged LoRA (r=8, q_proj,v_proj),
# 2 threads, greedy generation with the KV cache; prefill tokens/s and decode ms/token, median of 3 runs.
# Prints JSON. Usage: REFSTACK_PYTHON transformers_bench.py HF_FOLDER ADAPTER_FOLDER PROMPT_TOKENS GENERATE
import json, statistics, sys, time
import torch
from transformers import AutoModelForCausalLM
from peft import PeftModel

torch.set_num_threads(2)
folder, adapter, prompt_tokens, generate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32), adapter).eval()
ids = torch.tensor([[(i * 7919) % 30000 + 100 for i in range(prompt_tokens)]])
prefill, decode = [], []
with torch.no_grad():
    for run in range(4):
        start = time.perf_counter()
        out = model(input_ids=ids, use_cache=True)
        prefill_s = time.perf_counter() - start
        past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
        start = time.perf_counter()
        for _ in range(generate - 1):
            out = model(input_ids=token, past_key_values=past, use_cache=True)
            past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
        decode_s = time.perf_counter() - start
        if run > 0:
            prefill.append(prompt_tokens / prefill_s)
            decode.append(decode_s / (generate - 1) * 1000)
print(json.dumps({"name": f"transformers {__import__('transformers').__version__} + peft, torch {torch.__version__}, fp32, 1 unmerged LoRA",
                  "prefill_tokens_per_second": statistics.median(prefill), "decode_ms_per_token": statistics.median(decode)}))
