#!/usr/bin/env python3
"""Greedy continuations from a running llama-server (llama.cpp) for a list of token-id prompts, with the
top-2 probabilities of every step: the parity reference for dlp-gpu on the same GGUF file.
Usage: llama_cpp_greedy.py PORT PROMPTS.json TOKENS > OUT.json   (PROMPTS.json: [[ids...], ...])"""
import json
import sys
import urllib.request


def complete(port, ids, n):
    body = {"prompt": ids, "n_predict": n, "temperature": 0, "n_probs": 2, "cache_prompt": False,
            "return_tokens": True, "ignore_eos": True}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/completion", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    reply = json.loads(urllib.request.urlopen(request, timeout=120).read())
    steps = reply["completion_probabilities"]
    margins = []                         # log-probability of the top token minus the runner-up's
    for step in steps:
        values = [p["logprob"] for p in step["top_logprobs"]]
        margins.append(values[0] - values[1] if len(values) > 1 else 100.0)
    return {"prompt_ids": ids, "greedy_ids": reply["tokens"], "logprobs": [s["logprob"] for s in steps],
            "top2_logprob_margins": margins}


def main():
    port, prompts_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    prompts = json.load(open(prompts_path))
    cases = [complete(port, ids, n) for ids in prompts]
    for case in cases:
        del case["logprobs"]
    json.dump({"cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
