# Makes the tiny random-weight parity fixtures in Tests/Fixtures/tiny-{llama,qwen2,mistral}: a Hugging Face
# model folder (config.json, generation_config.json, safetensors) and reference.safetensors with the
# transformers logits for two prompts: prefill logits of every prompt row, then 8 greedy decode steps
# through the KV cache (the ids fed and the logits of each step).
#   tiny-llama:   float32, llama3 rope scaling, tied embeddings
#   tiny-qwen2:   bfloat16 weights, q/k/v bias (reference computed in float32 on the same bf16 values)
#   tiny-mistral: float16 weights, sharded safetensors with model.safetensors.index.json
# Usage: REFSTACK_PYTHON scripts/make_tiny_fixtures.py
import os, json
import torch
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          MistralConfig, MistralForCausalLM)

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
common = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=512, max_position_embeddings=256, rms_norm_eps=1e-5,
              initializer_range=0.1, bos_token_id=1, eos_token_id=2)

def build(name):
    if name == "tiny-llama":
        cfg = LlamaConfig(**common, rope_theta=500000.0, tie_word_embeddings=True,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
        return LlamaForCausalLM(cfg), torch.float32, None
    if name == "tiny-qwen2":
        cfg = Qwen2Config(**common, rope_theta=1000000.0, tie_word_embeddings=False)
        return Qwen2ForCausalLM(cfg), torch.bfloat16, None
    cfg = MistralConfig(**common, rope_theta=10000.0, sliding_window=4096, tie_word_embeddings=False)
    return MistralForCausalLM(cfg), torch.float16, "150KB"

prompts = [[1, 17, 301, 44, 260, 5, 399], [1, 88, 140, 511]]

for i, name in enumerate(["tiny-llama", "tiny-qwen2", "tiny-mistral"]):
    torch.manual_seed(1234 + i)
    model, dtype, shard = build(name)
    model.eval()
    with torch.no_grad():
        for n, p in model.named_parameters():   # biases are zero and norms one by default: make them matter
            if n.endswith(".bias"):
                p.normal_(0, 0.1)
            if "norm" in n:
                p.uniform_(0.5, 1.5)
    # the weights are stored in dtype; the reference is computed in float32 on exactly those values
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    model.to(dtype).save_pretrained(folder, safe_serialization=True,
                                    **({"max_shard_size": shard} if shard else {}))
    # reload in float32: .to(dtype) above also rounded non-persistent buffers such as rotary inv_freq
    model = type(model).from_pretrained(folder, torch_dtype=torch.float32).eval()
    ref = {}
    meta = {"prompts": [], "decoded": []}
    with torch.no_grad():
        for c, ids in enumerate(prompts):
            out = model(torch.tensor([ids]), use_cache=True)
            ref[f"case{c}.prefill_logits"] = out.logits[0].contiguous()          # [T, vocab]
            past, nxt = out.past_key_values, int(out.logits[0, -1].argmax())
            fed, steps = [], []
            for _ in range(8):
                fed.append(nxt)
                o = model(torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
                past = o.past_key_values
                steps.append(o.logits[0, -1])
                nxt = int(o.logits[0, -1].argmax())
            ref[f"case{c}.decode_logits"] = torch.stack(steps).contiguous()       # [8, vocab]
            ref[f"case{c}.prompt_ids"] = torch.tensor(ids, dtype=torch.int32)
            ref[f"case{c}.decode_ids"] = torch.tensor(fed, dtype=torch.int32)      # fed at steps 0..7
    save_file(ref, os.path.join(folder, "reference.safetensors"))
    print(name, "saved", sorted(os.listdir(folder)))
