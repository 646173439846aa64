# Makes Tests/Fixtures/chat/golden.json: chat templates of the four supported forms rendered by
# transformers' own Jinja renderer for several conversations (with and without a system message, with and
# without the generation prompt). Templates: SmolLM2's (ChatML, read from the GGUF), Qwen2.5's (ChatML with
# a default system message), Llama-3's, Llama-2's and Mistral v0.1's (as published with those models).
# Usage: REFSTACK_PYTHON scripts/make_chat_goldens.py PATH/TO/SmolLM2-135M-Instruct.Q4_1.gguf
import json, os, sys
from gguf import GGUFReader
from transformers.utils.chat_template_utils import _compile_jinja_template

reader = GGUFReader(sys.argv[1])
field = reader.fields["tokenizer.chat_template"]
smollm2 = bytes(field.parts[field.data[0]]).decode()

templates = {
    "smollm2": (smollm2, "<|im_start|>", "<|im_end|>"),
    "qwen2.5": ("{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- for message in messages %}{%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\") %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
                "<|endoftext|>", "<|im_end|>"),
    "llama3": ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
               "<|begin_of_text|>", "<|eot_id|>"),
    "llama2": ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
               "<s>", "</s>"),
    "mistral": ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
                "<s>", "</s>"),
}
conversations = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You answer in one word."}, {"role": "user", "content": "  Capital of Italy?  "}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"}, {"role": "user", "content": "Tell me a joke.\nA short one."}],
]
cases = []
for name, (template, bos, eos) in templates.items():
    compiled = _compile_jinja_template(template)
    for conversation in conversations:
        if name == "mistral" and conversation[0]["role"] == "system":
            continue     # the template raises: Mistral v0.1 has no system role
        for generation in (True, False):
            text = compiled.render(messages=conversation, add_generation_prompt=generation, bos_token=bos, eos_token=eos)
            cases.append({"template": name, "messages": conversation, "add_generation_prompt": generation, "rendered": text})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "chat", "golden.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump({"templates": {k: {"source": v[0], "bos_token": v[1], "eos_token": v[2]} for k, v in templates.items()}, "cases": cases}, f, ensure_ascii=False, indent=1)
print(len(cases), "cases")
