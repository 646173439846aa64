# Times transformers' own chat-template rendering (its Jinja2 environment, as apply_chat_template
# compiles it) for one template and one conversation file; prints microseconds per render.
# Usage: PYTHON jinja2_render.py TEMPLATE.jinja CONVERSATION.json   (PYTHON: transformers 4.46.3, jinja2 3.1.6)
import json, sys, time
from transformers.utils.chat_template_utils import _compile_jinja_template

source = open(sys.argv[1], encoding="utf-8").read()
conversation = json.load(open(sys.argv[2], encoding="utf-8"))
compiled = _compile_jinja_template(source)


def render():
    return compiled.render(messages=conversation["messages"], tools=conversation.get("tools"), documents=None,
                           add_generation_prompt=True, bos_token="<s>", eos_token="</s>")


render()
renders, start = 0, time.perf_counter()
while time.perf_counter() - start < 2.0:
    for _ in range(50):
        render()
    renders += 50
print(f"{(time.perf_counter() - start) * 1e6 / renders:.2f}")
