# Makes Tests/Fixtures/tokenizers/canonical.json and canonical-spm.json: goldens for text that is
# canonically equivalent but not identical (precomposed vs decomposed letters, Hangul syllables vs
# jamo, reordered combining marks, a combining mark after a space or at the start of text), which
# Hugging Face `tokenizers` and llama.cpp tokenize differently and Swift's String equality would merge.
#   canonical-spm.json  a Llama-2-style BPE (byte fallback, "▁" normalizer) trained on text holding both
#                       forms, so its vocabulary has both "é" and "e"+U+0301 as tokens
#   canonical.json      the strings, and the ids (no special tokens added) of canonical-spm.json, of the
#                       tiny tokenizer.json fixtures, and of llama.cpp's GGUF vocabularies as transformers
#                       converts them to `tokenizers` (needs torch and gguf; .cache/llama-vocab from
#                       scripts/fetch-llama-vocab.sh)
# Usage: REFSTACK_PYTHON scripts/make_canonical_goldens.py   (scripts/install-refstack.sh: transformers, tokenizers, gguf, torch)
import json, os, unicodedata
os.environ.setdefault("TQDM_DISABLE", "1")
from tokenizers import Tokenizer
from spm_fixture import train_spm_style
from transformers import AutoTokenizer

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = os.path.join(root, "Tests", "Fixtures", "tokenizers")
vocab_dir = os.path.join(root, ".cache", "llama-vocab")

words = ["caf\u00e9", "r\u00e9sum\u00e9", "na\u00efve", "\u00f1and\u00fa", "\u00c5ngstr\u00f6m", "\u1ec7 vi\u1ec7t", "\ud55c\uad6d\uc5b4",
         "\u0958\u0959 \u0915\u093c", "\u2126 \u212b \u03a9 \u00c5", "q\u0307\u0323", "\u0344 \u0308\u0301"]
nfd = [unicodedata.normalize("NFD", w) for w in words]
strings = []
for w, d in zip(words, nfd):
    strings += [w, d, w + " " + d, d + " " + w]
strings += [
    "e\u0301", "\u00e9", "\u0301", "\u0301abc", " \u0301", "a \u0301b", "x  \u0301y", "\u0301 ", "\n\u0301", "\t\u0301\t",
    "\u1100\u1161", "\uac00", "\u1112\u1161\u11ab", "\ud55c", "e\u0323\u0302", "e\u0302\u0323", "\u1ec7", "q\u0323\u0307",
    "A\u030a", "\u212b", "\u00c5", "\u00e9\u0301", "\ufb01 \uff21", "<s>e\u0301", "\u0301<|im_end|>", "<|im_start|>\u0301",
    "Caf\u00e9 cafe\u0301 CAFE\u0301", "\u0301\u0301\u0301", "  \u0301\u0301  ",
]
strings = list(dict.fromkeys(strings))

def canonical_spm():
    corpus = "\n".join((words + nfd) * 40 + ["plain ascii text keeps the trainer honest"] * 10)
    return train_spm_style(corpus, 300, ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"])

spm = canonical_spm()
spm.save(os.path.join(out, "canonical-spm.json"))
assert spm.token_to_id("\u2581caf\u00e9") != spm.token_to_id("\u2581cafe\u0301") or spm.token_to_id("\u00e9") != spm.token_to_id("e\u0301")
golden = {"strings": strings, "tokenizer_json": {}, "gguf": {}}
for name in ["canonical-spm", "bytelevel", "llama3", "metaspace", "spm"]:
    tok = Tokenizer.from_file(os.path.join(out, name + ".json"))
    golden["tokenizer_json"][name] = [tok.encode(s, add_special_tokens=False).ids for s in strings]
# only vocabularies whose transformers conversion tokenizes as llama.cpp does: qwen2 gains an NFC normalizer,
# phi-3 loses its space prefix and llama-bpe its ignore_merges, unrelated to canonical equivalence
for name in ["llama-spm", "gpt-2"]:
    tok = AutoTokenizer.from_pretrained(vocab_dir, gguf_file="ggml-vocab-%s.gguf" % name)
    golden["gguf"][name] = [tok.encode(s, add_special_tokens=False) for s in strings]
pairs = sum(1 for a, b in zip(words, nfd) if a != b)
differ = {n: sum(1 for i, (a, b) in enumerate(zip(words, nfd)) if a != b and ids[strings.index(a)] != ids[strings.index(b)])
          for group in golden.values() if isinstance(group, dict) for n, ids in group.items()}
with open(os.path.join(out, "canonical.json"), "w", encoding="utf-8") as f:
    json.dump(golden, f, ensure_ascii=True)
print(len(strings), "strings;", pairs, "precomposed/decomposed pairs; pairs tokenized differently:", differ)
