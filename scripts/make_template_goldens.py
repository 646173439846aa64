# Makes Tests/Fixtures/chat/template-goldens.json: every chat template llama.cpp tests with (the
# llama-cpp-python sdist's models/templates/*.jinja, fetched by scripts/fetch-chat-templates.sh into the
# git-ignored cache) rendered by transformers' own Jinja environment for several conversations: system or
# not, multi-turn, tool definitions, tool calls (without content, and with content null as OpenAI clients
# send them) and tool results, assistant prefill, generation prompt on and off, enable_thinking off. Templates are named by file and pinned by SHA-256; the rendered text or
# the kind of error Jinja2 raised is recorded.
# Usage: PYTHON scripts/make_template_goldens.py [TEMPLATE_DIR]
#   PYTHON: transformers==4.46.3 and jinja2==3.1.6 (the reference stack's pins), e.g.
#   python3 -m venv .cache/venv-templates && .cache/venv-templates/bin/pip install transformers==4.46.3 jinja2==3.1.6
import hashlib, json, os, sys
from datetime import datetime
import jinja2
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from transformers.utils.chat_template_utils import _compile_jinja_template

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
template_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, ".cache", "chat-templates")
NOW = datetime(2026, 11, 30, 18, 5, 9)     # strftime_now's instant (UTC); the Swift test uses the same

tools = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "The city, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "add", "description": "Add two numbers.",
        "parameters": {"type": "object", "properties": {
            "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}},
]
tool_call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
conversations = {
    "user": {"messages": [{"role": "user", "content": "Hello, who are you?"}]},
    "system": {"messages": [{"role": "system", "content": "You are a terse assistant."},
                            {"role": "user", "content": "  What is 2+2?  "}]},
    "multi_turn": {"messages": [{"role": "user", "content": "Hi!"},
                                {"role": "assistant", "content": "Hello! How can I help?"},
                                {"role": "user", "content": "Tell me a joke.\nA short one."}]},
    "tools": {"messages": [{"role": "user", "content": "What's the weather in Paris?"}], "tools": tools},
    "tool_call": {"messages": [{"role": "system", "content": "Use tools when they help."},
                               {"role": "user", "content": "What's the weather in Paris?"},
                               {"role": "assistant", "tool_calls": [tool_call]},
                               {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "22 C and sunny"}],
                  "tools": tools},
    # as OpenAI clients send it: the assistant turn that calls a tool has content null
    "tool_call_null_content": {"messages": [{"role": "user", "content": "What's the weather in Paris?"},
                                            {"role": "assistant", "content": None, "tool_calls": [tool_call]},
                                            {"role": "tool", "tool_call_id": "call_1", "content": "22 C and sunny"},
                                            {"role": "assistant", "content": "It is 22 C and sunny in Paris."},
                                            {"role": "user", "content": "Thanks!"}],
                               "tools": tools},
    "prefill": {"messages": [{"role": "user", "content": "Write a haiku about the sea."},
                             {"role": "assistant", "content": "Waves fold into foam"}]},
}
# (conversation, add_generation_prompt, extra variables)
runs = [("user", True, {}), ("user", False, {}), ("system", True, {}), ("multi_turn", True, {}),
        ("multi_turn", False, {}), ("tools", True, {}), ("tool_call", True, {}), ("tool_call_null_content", True, {}), ("prefill", False, {}),
        ("user", True, {"enable_thinking": False})]


def error_kind(e):
    if isinstance(e, TemplateSyntaxError): return "syntax"
    if isinstance(e, SecurityError): return "security"
    if isinstance(e, UndefinedError): return "undefined"
    if type(e) is TemplateError: return "raised"
    return "error"


templates, cases = {}, []
for file in sorted(os.listdir(template_dir)):
    if not file.endswith(".jinja"):
        continue
    with open(os.path.join(template_dir, file), "rb") as f:
        raw = f.read()
    templates[file] = hashlib.sha256(raw).hexdigest()
    source = raw.decode("utf-8")
    try:
        compiled = _compile_jinja_template(source)
        compiled.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    except Exception as e:
        cases.append({"template": file, "conversation": None, "error": error_kind(e), "message": str(e)})
        continue
    for name, generation, extra in runs:
        c = conversations[name]
        case = {"template": file, "conversation": name, "add_generation_prompt": generation, "variables": extra}
        try:
            case["rendered"] = compiled.render(messages=c["messages"], tools=c.get("tools"), documents=None,
                                               add_generation_prompt=generation, bos_token="<s>", eos_token="</s>", **extra)
        except Exception as e:
            case["error"] = error_kind(e)
            case["message"] = str(e)
        cases.append(case)

out = os.path.join(top, "Tests", "Fixtures", "chat", "template-goldens.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump({"jinja2": jinja2.__version__, "now": NOW.isoformat() + "Z", "bos_token": "<s>", "eos_token": "</s>",
               "conversations": conversations, "templates": templates, "cases": cases}, f, ensure_ascii=False, indent=1)
rendered = sum("rendered" in c for c in cases)
print(f"{len(templates)} templates, {len(cases)} cases: {rendered} rendered, {len(cases) - rendered} errors")
