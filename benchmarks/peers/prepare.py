# Prepares the peers' shared weights from the SmolLM2 Q4_1 GGUF: an F16 GGUF with the same tensors
# (matrices F16, norms F32, llama.cpp's layout kept) for llama.cpp and dlp-gpu; a transformers folder of
# the same weights in float32; a random PEFT LoRA (r=8, q_proj,v_proj) for transformers+PEFT.
# Usage: REFSTACK_PYTHON benchmarks/peers/prepare.py SMOLLM2_Q4_1.gguf OUT_DIR
import os, sys
import numpy as np
import torch
import gguf
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType, quants
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import LoraConfig, get_peft_model

src, out = sys.argv[1], sys.argv[2]
reader = GGUFReader(src)
writer = GGUFWriter(os.path.join(out, "smollm2-f16.gguf"), "llama")
for field in reader.fields.values():
    if field.name.startswith("GGUF.") or field.name == "general.architecture":
        continue
    value_type = field.types[0]
    if value_type == gguf.GGUFValueType.ARRAY:
        sub = field.types[-1]
        if sub == gguf.GGUFValueType.STRING:
            writer.add_array(field.name, [bytes(field.parts[i]).decode("utf-8", "surrogateescape") for i in field.data])
        else:
            writer.add_array(field.name, [field.parts[i].tolist()[0] for i in field.data])
    elif value_type == gguf.GGUFValueType.STRING:
        writer.add_string(field.name, bytes(field.parts[field.data[0]]).decode())
    else:
        writer.add_key_value(field.name, field.parts[field.data[0]].tolist()[0], value_type)
for t in reader.tensors:
    data = t.data if t.tensor_type in (GGMLQuantizationType.F32, GGMLQuantizationType.F16) else quants.dequantize(t.data, t.tensor_type)
    shape = list(reversed([int(d) for d in t.shape]))
    data = np.asarray(data, dtype=np.float32).reshape(shape)
    writer.add_tensor(t.name, data if data.ndim == 1 else data.astype(np.float16))
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

folder, name = os.path.split(os.path.abspath(src))
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
model.lm_head.weight = model.model.embed_tokens.weight          # the GGUF ties the head
model.save_pretrained(os.path.join(out, "hf"))
AutoTokenizer.from_pretrained(folder, gguf_file=name).save_pretrained(os.path.join(out, "hf"))
torch.manual_seed(0)
peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
peft_model.save_pretrained(os.path.join(out, "adapter"))
print("prepared", sorted(os.listdir(out)))
