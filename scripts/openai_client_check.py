#!/usr/bin/env python3
"""Checks `dlp-gpu serve` with the official `openai` Python client (scripts/test-openai-client.sh installs it).

Starts the server on a free loopback port with the demo pack, then uses the client as people do:
models, completions and chat completions, whole and streamed, a named adapter, a mix through
`extra_body={"lora": ...}`, the router (`dlp`, whose plans arrive in `dlp_routing`), and the errors
the client raises for an unknown model and a bad parameter. Ends the server with SIGTERM and
requires exit status 0. Usage: openai_client_check.py PATH/TO/dlp-gpu
"""
import re
import signal
import subprocess
import sys
import time

import openai

binary = sys.argv[1]
server = subprocess.Popen([binary, "serve", "--port", "0", "--context", "512", "--max-batch", "4", "--drain-seconds", "5"],
                          stderr=subprocess.PIPE, text=True)
port = None
deadline = time.time() + 120
log = []
while time.time() < deadline and port is None:
    line = server.stderr.readline()
    if not line:
        break
    log.append(line)
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if match:
        port = int(match.group(1))
if port is None:
    server.kill()
    sys.exit("the server did not start:\n" + "".join(log))

client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=120)
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


try:
    for _ in range(600):                     # ready once the model is loaded
        try:
            models = [m.id for m in client.models.list()]
            break
        except openai.APIStatusError:
            time.sleep(0.05)
    check(models[-1] == "dlp" and "date_understanding" in models, f"models.list: {models}")
    base = models[0]

    c = client.completions.create(model=base, prompt="The capital of France is", max_tokens=8, temperature=0)
    check("Paris" in c.choices[0].text and c.choices[0].finish_reason == "length" and c.usage.completion_tokens == 8,
          f"completions: {c.choices[0].text!r}")
    pieces = [chunk.choices[0].text for chunk in
              client.completions.create(model=base, prompt="The capital of France is", max_tokens=8, temperature=0, stream=True)]
    check("".join(pieces) == c.choices[0].text, f"streamed completions: {pieces}")

    chat = client.chat.completions.create(model="date_understanding", temperature=0, max_tokens=24,
                                          messages=[{"role": "user", "content": "Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY?"}])
    check(chat.choices[0].message.role == "assistant" and chat.choices[0].message.content, f"chat: {chat.choices[0].message.content!r}")
    stream = client.chat.completions.create(model="date_understanding", temperature=0, max_tokens=24, stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY?"}])
    text, usage = "", None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        if chunk.usage:
            usage = chunk.usage
    check(text == chat.choices[0].message.content and usage and usage.total_tokens > 0, f"streamed chat: {text!r}, usage {usage}")

    mixed = client.chat.completions.create(model=base, messages=[{"role": "user", "content": "I lost my job today and I feel terrible."}],
                                           max_tokens=12, temperature=0,
                                           extra_body={"lora": [{"name": "social_support", "scale": 0.7}, {"id": 0, "scale": 0.3}]})
    check(bool(mixed.choices[0].message.content), f"a mix through extra_body lora: {mixed.choices[0].message.content!r}")

    routed = client.completions.create(model="dlp", max_tokens=8, temperature=0,
                                       prompt="Yesterday was April 30, 2021. What is the date tomorrow? Utterance: Play my road trip playlist.\nIntent:")
    plans = (routed.model_extra or {}).get("dlp_routing") or []
    check(len(plans) >= 2 and all("plan" in p and "sentence" in p for p in plans), f"dlp routing: {[p['plan'] for p in plans]}")

    try:
        client.completions.create(model="gpt-4", prompt="x", max_tokens=1)
        check(False, "unknown model raises NotFoundError")
    except openai.NotFoundError as e:
        check(e.body.get("code") == "model_not_found" if isinstance(e.body, dict) else True, f"unknown model: NotFoundError {e.message}")
    try:
        client.completions.create(model=base, prompt="x", max_tokens=1, temperature=5)
        check(False, "a bad temperature raises BadRequestError")
    except openai.BadRequestError as e:
        check(True, f"bad temperature: BadRequestError {e.message}")
finally:
    server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        status = "killed after 30 s"
    check(status == 0, f"SIGTERM: exit status {status}")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("the openai client works with dlp-gpu serve")
