# Makes Tests/Fixtures/gguf/kquant-types.gguf and kquant-types.safetensors: one tensor per block format
# that gguf-py cannot quantize itself (Q5_0, Q5_1 through its quantizer; Q2_K, Q3_K, Q4_K, Q5_K, Q6_K as random
# block bytes with finite f16 scales, which exercises every packed scale and bit of the layout), and
# gguf-py's own numpy dequantization of each as f32, the reference the C dequantizers must equal bit for bit.
# Usage: PYTHON scripts/make_kquant_fixtures.py   (gguf >= 0.17 with numpy, safetensors)
import os
import numpy as np
import gguf
from gguf import quants
from gguf.constants import GGMLQuantizationType as T, GGML_QUANT_SIZES
from safetensors.numpy import save_file

out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gguf")
rng = np.random.default_rng(7)
rows, cols = 4, 512
# byte offsets of the f16 scale fields inside one block of each random-byte type
scale_fields = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}

writer = gguf.GGUFWriter(os.path.join(out_dir, "kquant-types.gguf"), "llama")
expected = {}
for qtype in [T.Q5_0, T.Q5_1, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
    block, size = GGML_QUANT_SIZES[qtype]
    if qtype in scale_fields:
        raw = rng.integers(0, 256, size=(rows, cols // block, size), dtype=np.uint8)
        for offset in scale_fields[qtype]:
            scales = (rng.standard_normal((rows, cols // block)) * 0.02).astype(np.float16)
            raw[:, :, offset:offset + 2] = scales.view(np.uint8).reshape(rows, cols // block, 2)
        raw = raw.reshape(rows, cols // block * size)
    else:
        raw = quants.quantize(rng.standard_normal((rows, cols)).astype(np.float32), qtype)
    name = qtype.name.lower()
    writer.add_tensor(name, raw, raw_dtype=qtype)
    expected[name] = quants.dequantize(raw, qtype).astype(np.float32).reshape(rows, cols)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
save_file(expected, os.path.join(out_dir, "kquant-types.safetensors"))
print({k: v.shape for k, v in expected.items()})
