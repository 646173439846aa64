# Makes the PEFT parity fixtures in Tests/Fixtures/lora/<model>/: small PEFT adapter folders trained by
# nobody (random A and B, init_lora_weights=False) on the tiny models, and reference.safetensors with
# transformers+PEFT logits for every prompt row of the two parity prompts:
#   <name>.caseN   the adapter alone
#   mix.caseN      add_weighted_adapter([...], weights, combination_type="cat"), the fused formula
#                  y = W x + sum_k w_k s_k B_k A_k x
# tiny-llama adapters:
#   r8_all        r=8, all seven projections (list), lora_alpha 16
#   r4_rslora     r=4, all seven projections, use_rslora (scale alpha/sqrt(r))
#   rank_pattern  r=8, regex target_modules, rank_pattern {q_proj: 4, down_proj: 2}, alpha_pattern {v_proj: 4}
#   layer1_only   r=2, q/o/down_proj, layers_to_transform [1]
#   all_linear    r=2, "all-linear"
# tiny-qwen2 (bf16 base): attention_r8 (r=8, q/k/v/o), mlp_r16 (r=16, gate/up/down); mix of both.
# Adapter names must not be substrings of each other (PEFT selects saved keys by substring).
# Usage: REFSTACK_PYTHON scripts/make_lora_fixtures.py
import os, json
import torch
from safetensors.torch import save_file, load_file
from transformers import AutoModelForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "Tests", "Fixtures")
seven = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

plans = {
    "tiny-llama": {
        "adapters": {   # "all-linear" only expands on the first adapter of a PeftModel: e comes first
            "all_linear": dict(r=2, lora_alpha=2, target_modules="all-linear"),
            "r8_all": dict(r=8, lora_alpha=16, target_modules=seven),
            "r4_rslora": dict(r=4, lora_alpha=8, target_modules=seven, use_rslora=True),
            "rank_pattern": dict(r=8, lora_alpha=16, target_modules=r".*\.(q_proj|v_proj|down_proj)",
                      rank_pattern={"q_proj": 4, "down_proj": 2}, alpha_pattern={"v_proj": 4}),
            "layer1_only": dict(r=2, lora_alpha=4, target_modules=["q_proj", "o_proj", "down_proj"], layers_to_transform=[1]),
        },
        # cat needs one target_modules type (and the first adapter's plain scaling): list-typed ones mix here
        "mix": (["r8_all", "r4_rslora", "layer1_only"], [0.7, 0.45, 0.3]),
    },
    "tiny-qwen2": {
        "adapters": {
            "attention_r8": dict(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]),
            "mlp_r16": dict(r=16, lora_alpha=16, target_modules=["gate_proj", "up_proj", "down_proj"]),
        },
        "mix": (["attention_r8", "mlp_r16"], [0.5, 0.8]),
    },
}

for model_name, plan in plans.items():
    base_dir = os.path.join(fixtures, model_name)
    out_dir = os.path.join(fixtures, "lora", model_name)
    os.makedirs(out_dir, exist_ok=True)
    ref_in = load_file(os.path.join(base_dir, "reference.safetensors"))
    prompts = [ref_in[f"case{c}.prompt_ids"].long()[None] for c in range(2)]
    torch.manual_seed(99)
    base = AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32).eval()
    peft_model = None
    for name, kwargs in plan["adapters"].items():
        config = LoraConfig(init_lora_weights=False, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM", **kwargs)
        if peft_model is None:
            peft_model = get_peft_model(base, config, adapter_name=name)
        else:
            peft_model.add_adapter(name, config)
    peft_model.eval()
    reference = {}
    for name in plan["adapters"]:
        peft_model.set_adapter(name)
        peft_model.save_pretrained(out_dir, selected_adapters=[name])
        with torch.no_grad():
            for c, ids in enumerate(prompts):
                reference[f"{name}.case{c}"] = peft_model(ids).logits[0].contiguous()
    for mix_name in [k for k in plan if k.startswith("mix")]:
        names, weights = plan[mix_name]
        peft_model.add_weighted_adapter(names, weights, adapter_name=mix_name, combination_type="cat")
        peft_model.set_adapter(mix_name)
        with torch.no_grad():
            for c, ids in enumerate(prompts):
                reference[f"{mix_name}.case{c}"] = peft_model(ids).logits[0].contiguous()
    with torch.no_grad():
        with peft_model.disable_adapter():
            for c, ids in enumerate(prompts):
                reference[f"base.case{c}"] = peft_model(ids).logits[0].contiguous()
    mixes = {k: {"adapters": v[0], "weights": v[1]} for k, v in plan.items() if k.startswith("mix")}
    save_file(reference, os.path.join(out_dir, "reference.safetensors"), metadata={"mixes": json.dumps(mixes)})
    for name in plan["adapters"]:                   # no model cards, no absolute paths in the fixtures
        folder = os.path.join(out_dir, name)
        config_path = os.path.join(folder, "adapter_config.json")
        with open(config_path) as f:
            config = json.load(f)
        config["base_model_name_or_path"] = model_name
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
    for readme in [os.path.join(out_dir, "README.md")] + [os.path.join(out_dir, n, "README.md") for n in plan["adapters"]]:
        if os.path.exists(readme):
            os.remove(readme)
    print(model_name, sorted(os.listdir(out_dir)))
