# Makes the GGUF fixtures in Tests/Fixtures/gguf:
#   tiny-llama.gguf     the tiny-llama parity model written the way llama.cpp's converter writes it:
#                       llama.* metadata, blk.N.* names, attn_q/attn_k rows permuted, F16 matrices and F32
#                       norms, no output.weight (tied). Its reference logits are computed by transformers
#                       on the same f16-rounded weights (reference.safetensors).
#   quant-types.gguf    one random tensor per supported type (F32, F16, BF16, Q8_0, Q4_0, Q4_1), and
#   quant-types.safetensors  gguf-py's dequantization of each, as f32.
# Usage: REFSTACK_PYTHON scripts/make_gguf_fixtures.py
import os
import numpy as np
import torch
import gguf
from gguf import quants
from safetensors.torch import save_file, load_file
from transformers import LlamaForCausalLM

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "Tests", "Fixtures")
out_dir = os.path.join(fixtures, "gguf")
os.makedirs(out_dir, exist_ok=True)

# --- tiny-llama.gguf ---
src = os.path.join(fixtures, "tiny-llama")
model = LlamaForCausalLM.from_pretrained(src, torch_dtype=torch.float32).eval()
cfg = model.config
with torch.no_grad():
    for p in model.parameters():
        if p.dim() == 2:
            p.copy_(p.half().float())          # the GGUF stores matrices in f16

def permute(w, n_head):                        # llama.cpp convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

writer = gguf.GGUFWriter(os.path.join(out_dir, "tiny-llama.gguf"), "llama")
writer.add_name("tiny-llama")
writer.add_block_count(cfg.num_hidden_layers)
writer.add_context_length(cfg.max_position_embeddings)
writer.add_embedding_length(cfg.hidden_size)
writer.add_feed_forward_length(cfg.intermediate_size)
writer.add_head_count(cfg.num_attention_heads)
writer.add_head_count_kv(cfg.num_key_value_heads)
writer.add_rope_freq_base(cfg.rope_theta)
writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
writer.add_vocab_size(cfg.vocab_size)
writer.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
writer.add_bos_token_id(cfg.bos_token_id)
writer.add_eos_token_id(cfg.eos_token_id)
# llama3 rope scaling as llama.cpp stores it: a rope_freqs tensor of per-frequency divisors
inv = model.model.rotary_emb.inv_freq.detach().clone()
dim = cfg.hidden_size // cfg.num_attention_heads
base = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
writer.add_tensor("rope_freqs.weight", (base / inv).numpy().astype(np.float32))
names = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
         "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
         "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
for name, t in model.state_dict().items():
    if name == "lm_head.weight":
        continue
    a = t.numpy()
    if name == "model.embed_tokens.weight":
        gname = "token_embd.weight"
    elif name == "model.norm.weight":
        gname = "output_norm.weight"
    else:
        parts = name.split(".")
        layer, module = parts[2], ".".join(parts[3:-1])
        gname = f"blk.{layer}.{names[module]}.{parts[-1]}"
        if module == "self_attn.q_proj":
            a = permute(a, cfg.num_attention_heads)
        elif module == "self_attn.k_proj":
            a = permute(a, cfg.num_key_value_heads)
    writer.add_tensor(gname, a.astype(np.float16) if a.ndim == 2 else a.astype(np.float32))
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

ref = load_file(os.path.join(src, "reference.safetensors"))
out = {}
with torch.no_grad():
    for c in range(2):
        ids = ref[f"case{c}.prompt_ids"].long()
        out[f"case{c}.prompt_ids"] = ref[f"case{c}.prompt_ids"]
        out[f"case{c}.prefill_logits"] = model(ids[None]).logits[0].contiguous()
save_file(out, os.path.join(out_dir, "tiny-llama.reference.safetensors"))

# --- quant-types.gguf ---
rng = np.random.default_rng(7)
writer = gguf.GGUFWriter(os.path.join(out_dir, "quant-types.gguf"), "llama")
expected = {}
T = gguf.GGMLQuantizationType
for name, qtype in [("t_f32", T.F32), ("t_f16", T.F16), ("t_bf16", T.BF16), ("t_q8_0", T.Q8_0), ("t_q4_0", T.Q4_0), ("t_q4_1", T.Q4_1)]:
    data = rng.normal(0, 1, size=(4, 64)).astype(np.float32)
    if qtype == T.F32:
        raw = data
    elif qtype == T.F16:
        raw = data.astype(np.float16)
    else:
        raw = quants.quantize(data, qtype)
    writer.add_tensor(name, raw, raw_dtype=qtype)
    deq = data if qtype == T.F32 else (raw.astype(np.float32) if qtype == T.F16 else quants.dequantize(raw, qtype))
    expected[name] = torch.from_numpy(np.ascontiguousarray(deq.reshape(4, 64)).astype(np.float32))
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
save_file(expected, os.path.join(out_dir, "quant-types.safetensors"))
print("wrote", sorted(os.listdir(out_dir)))
