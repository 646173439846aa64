#!/usr/bin/env python3
"""One load measurement against an OpenAI-compatible server (dlp-gpu serve or llama-server).

CLIENTS threads each send REQUESTS streamed /v1/completions requests one after another: a prompt of
PROMPT token ids (a different window of a fixed text per request, so no prompt cache helps), GENERATE
tokens with ignore_eos, greedy. Each request names its adapter the server's way (--adapter-style:
`model` for dlp-gpu's adapter names, `lora` for llama-server's per-request lora ids, `dlp` for the
router, `base` for none), round robin over the adapters. Prints one JSON line: aggregate generated
tokens/s over the wall time (GENERATE per completed request, prefill included), the aggregate decode
rate (CLIENTS x the median over requests of (chunks - 1) / (last chunk - first chunk)), time to first token and inter-token latency p50/p99 (ms).
Usage: load.py URL --clients N --requests N --adapter-style S --adapters a,b,c,d --prompt-ids FILE
"""
import argparse, http.client, json, statistics, threading, time, urllib.parse

p = argparse.ArgumentParser()
p.add_argument("url")
p.add_argument("--clients", type=int, required=True)
p.add_argument("--requests", type=int, required=True, help="per client")
p.add_argument("--adapter-style", choices=["model", "lora", "dlp", "base"], required=True)
p.add_argument("--adapters", default="")
p.add_argument("--base-model", default="base")
p.add_argument("--prompt-ids", required=True, help="a JSON list of token ids to cut prompts from")
p.add_argument("--prompt", type=int, default=64)
p.add_argument("--generate", type=int, default=64)
o = p.parse_args()
ids = json.load(open(o.prompt_ids))
adapters = [a for a in o.adapters.split(",") if a]
target = urllib.parse.urlparse(o.url)


def body(n):
    start = (n * 37) % (len(ids) - o.prompt)
    b = {"prompt": ids[start:start + o.prompt], "max_tokens": o.generate, "temperature": 0, "stream": True, "ignore_eos": True}
    if o.adapter_style == "model":
        b["model"] = adapters[n % len(adapters)]
    elif o.adapter_style == "lora":
        b["model"] = o.base_model
        b["lora"] = [{"id": i, "scale": 1.0 if i == n % len(adapters) else 0.0} for i in range(len(adapters))]
    elif o.adapter_style == "dlp":
        b["model"] = "dlp"
    else:
        b["model"] = o.base_model
    return b


ttft, gaps, tokens, errors, rates = [], [], [0], [], []
lock = threading.Lock()


def client(c):
    for r in range(o.requests):
        n = c * o.requests + r
        start = time.perf_counter()
        # a connection per request (llama-server closes one after a streamed response)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
        connection.request("POST", "/v1/completions", json.dumps(body(n)), {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            with lock:
                errors.append(f"{response.status} {response.read()[:200]!r}")
            continue
        last, count, mine_gaps, first = None, 0, [], None
        for line in response:
            line = line.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if not chunk.get("choices") or not chunk["choices"][0].get("text"):
                continue
            now = time.perf_counter()
            if first is None:
                first = now - start
            else:
                mine_gaps.append(now - last)
            last = now
            count += 1
        connection.close()
        with lock:
            if first is not None:
                ttft.append(first)
            if count > 1 and sum(mine_gaps) > 0:
                rates.append((count - 1) / sum(mine_gaps))
            gaps.extend(mine_gaps)
            tokens[0] += o.generate if count else 0


threads = [threading.Thread(target=client, args=(c,)) for c in range(o.clients)]
wall = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - wall


def pct(values, q):
    return round(1000 * statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2) if len(values) > 1 else None


print(json.dumps({"clients": o.clients, "style": o.adapter_style, "requests": o.clients * o.requests, "generated_tokens": tokens[0],
                  "seconds": round(wall, 2), "tokens_per_second": round(tokens[0] / wall, 1),
                  "decode_tokens_per_second": round(o.clients * statistics.median(rates), 1) if rates else None,
                  "ttft_p50_ms": pct(ttft, 50), "ttft_p99_ms": pct(ttft, 99), "itl_p50_ms": pct(gaps, 50), "itl_p99_ms": pct(gaps, 99),
                  "errors": errors[:3], "error_count": len(errors)}))
