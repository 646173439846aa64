# Makes Tests/Fixtures/gguf/tiny-llama-q8_0.gguf and tiny-llama-q4_0.gguf: tiny-llama.gguf with every
# matrix (embedding and projections) quantized by gguf-py's own quantizer, everything else (metadata,
# norms, rope_freqs) copied: the quantized base of the LoRA-on-a-quantized-base parity test.
# Usage: PYTHON (with gguf 0.19 and numpy) scripts/make_quantized_tiny_gguf.py
import os
import numpy as np
import gguf
from gguf import quants

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "Tests", "Fixtures", "gguf")
reader = gguf.GGUFReader(os.path.join(out_dir, "tiny-llama.gguf"))


def value(field):
    if field.types[0] == gguf.GGUFValueType.ARRAY:
        if field.types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode() for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if field.types[0] == gguf.GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode()
    return field.parts[field.data[0]].tolist()[0]


for qtype in (gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_0):
    path = os.path.join(out_dir, f"tiny-llama-{qtype.name.lower()}.gguf")
    writer = gguf.GGUFWriter(path, "llama")
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, value(field), field.types[0], sub_type=sub)
    for t in reader.tensors:
        data = np.array(t.data)
        if t.tensor_type == gguf.GGMLQuantizationType.F16:
            data = data.astype(np.float32)
        shape = tuple(int(d) for d in reversed(t.shape))
        data = data.reshape(shape)
        if len(shape) == 2:
            writer.add_tensor(t.name, quants.quantize(data, qtype), raw_dtype=qtype)
        else:
            writer.add_tensor(t.name, data.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(path)
