# llama.cpp through llama-cpp-python: prefill tokens/s of a prompt and decode tokens/s (greedy), 2 threads,
# median of 5 runs. Prints JSON. Usage: python llama_cpp_bench.py MODEL.gguf PROMPT_TOKENS GENERATE
import json, statistics, sys, time
from llama_cpp import Llama

path, prompt_tokens, generate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = Llama(model_path=path, n_threads=2, n_threads_batch=2, n_ctx=prompt_tokens + generate + 8, n_batch=512, verbose=False)
prompt = [(i * 7919) % 30000 + 100 for i in range(prompt_tokens)]
prefill, decode = [], []
for run in range(6):
    llm.reset()
    start = time.perf_counter()
    llm.eval(prompt)
    prefill_s = time.perf_counter() - start
    token = int(max(range(llm.n_vocab()), key=lambda i: llm.scores[llm.n_tokens - 1][i]))
    start = time.perf_counter()
    for _ in range(generate - 1):
        llm.eval([token])
        token = int(llm.scores[llm.n_tokens - 1].argmax())
    decode_s = time.perf_counter() - start
    if run > 0:
        prefill.append(prompt_tokens / prefill_s)
        decode.append(decode_s / (generate - 1) * 1000)
print(json.dumps({"name": "llama.cpp (llama-cpp-python 0.3.36, F16 GGUF)", "prefill_tokens_per_second": statistics.median(prefill),
                  "decode_ms_per_token": statistics.median(decode)}))
