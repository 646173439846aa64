#!/usr/bin/env python3
"""dlp-gpu against a running llama-server on the same GGUF file: for each prompt (token ids), llama.cpp's
greedy continuation with the log-probability of each chosen token, dlp-gpu's log-probabilities of that
same sequence (`dlp-gpu score`, teacher-forced), and dlp-gpu's own greedy continuation.
Prints, per prompt: the largest and mean |difference| of the chosen tokens' log-probabilities between
the engines, and of each engine against the exact f32 computation on the same weights (dlp-gpu
--dequantize), and the first step where the two greedy continuations differ with llama.cpp's top-2
margin there.
Usage: parity.py PORT MODEL.gguf PROMPTS.json TOKENS"""
import json
import subprocess
import sys

from llama_cpp_greedy import complete


def dlp(model, args):
    out = subprocess.run([".build/release/dlp-gpu", *args, "--model", model, "--device", "cpu", "--threads", "2",
                          "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    port, model, prompts_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    for ids in json.load(open(prompts_path)):
        reply = complete(port, ids, n)
        tokens, logprobs, margins = reply["greedy_ids"], reply["logprobs"], reply["top2_logprob_margins"]
        sequence = ",".join(map(str, ids + tokens))
        scored = dlp(model, ["score", "--ids", sequence])["logprobs"][len(ids) - 1:]
        exact = dlp(model, ["score", "--ids", sequence, "--dequantize"])["logprobs"][len(ids) - 1:]

        def summary(a, b):
            d = [abs(x - y) for x, y in zip(a, b)]
            return f"max {max(d):.3f} mean {sum(d) / len(d):.3f}"
        generated = dlp(model, ["generate", "--ids", ",".join(map(str, ids)), "--max-tokens", str(n), "--temperature", "0"])
        ours = generated["ids"]
        first = next((i for i, (a, b) in enumerate(zip(ours, tokens)) if a != b), None)
        if first is None:
            where = "all %d equal" % len(ours) + ("" if len(ours) == n else ", then dlp-gpu stops at EOS")
        elif first == len(ours) - 1 and generated.get("finish_reason") == "eos":
            # llama-server is asked to ignore EOS (ignore_eos), so its margin there is between other tokens
            where = "equal up to step %d, where dlp-gpu stops at EOS (llama.cpp, ignoring EOS, continues)" % first
        else:
            where = "first differs at step %d (llama.cpp margin %.3f nats)" % (first, margins[first])
        print(f"  prompt of {len(ids)} tokens: chosen-token logprob |diff| dlp-gpu vs llama.cpp {summary(scored, logprobs)}; "
              f"vs exact f32: dlp-gpu {summary(scored, exact)}, llama.cpp {summary(logprobs, exact)}; greedy {where}")


if __name__ == "__main__":
    main()
