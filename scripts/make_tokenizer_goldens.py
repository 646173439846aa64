# Makes the tokenizer golden files in Tests/Fixtures/tokenizers with the Hugging Face `tokenizers` library:
# three small BPE tokenizers trained on a few kilobytes of text (the Python standard library's own
# docstrings, which every Python has, plus the multilingual lines below), saved as tokenizer.json:
#   bytelevel.json   NFC normalizer, ByteLevel pre-tokenizer (GPT-2 regex), ByteLevel decoder, BOS template
#   llama3.json      Split with the Llama-3 regex + ByteLevel(use_regex=false), ignore_merges
#   metaspace.json   NFKC + Lowercase normalizers, Digits(individual) + Metaspace pre-tokenizers, Metaspace decoder
#   spm.json         Llama-2 style: Prepend/Replace "▁" normalizer, BPE with byte fallback <0xNN>, unk,
#                    Replace/ByteFallback/Fuse/Strip decoder, "<s> $A" template
# and golden.json: 200+ strings (CJK, Arabic, combining marks, emoji with ZWJ, whitespace runs, digits,
# code, special tokens inside text) with each tokenizer's ids (with special tokens) and decoded text.
# Usage: REFSTACK_PYTHON scripts/make_tokenizer_goldens.py
import json, os, inspect, itertools
import collections, textwrap, json as json_module, string, re as re_module
from tokenizers import Tokenizer, models, trainers, pre_tokenizers, decoders, normalizers, processors, Regex
from spm_fixture import train_spm_style

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizers")
os.makedirs(out, exist_ok=True)

multilingual = [
    "日本語のテキストを分割します。東京は大きな都市です。", "中文分词测试：我们今天去公园散步。", "한국어 문장도 토큰으로 나뉩니다.",
    "مرحبا بالعالم، هذه جملة عربية.", "Ελληνικά γράμματα και λέξεις.", "Привет, мир! Это русский текст.",
    "Café naïve résumé façade coöperate — déjà vu.", "e\u0301 a\u0308 n\u0303 (combining marks)",
    "👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇫🇷 flag, 🦙 llama", "tabs\tand\nnewlines\r\n  and   spaces",
]
corpus = "\n".join([inspect.getdoc(m) or "" for m in (collections, textwrap, json_module, string, re_module, itertools)] + multilingual * 3)
assert len(corpus.encode()) > 4000, len(corpus)
specials = ["<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>"]

def bytelevel():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([corpus], trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok

def llama3():
    pattern = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([corpus], trainers.BpeTrainer(vocab_size=800, special_tokens=specials,
                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    return tok

def metaspace():
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Metaspace()])
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator([corpus], trainers.BpeTrainer(vocab_size=600, special_tokens=specials, show_progress=False))
    return tok

def spm():
    return train_spm_style(corpus, 600, specials)

base = [
    "", " ", "  ", "\t", "\n", "\n\n\n", " \n ", "Hello world", " Hello world", "Hello World!", "hello,world", "HELLO   WORLD",
    "I'm sure it's fine, you'll see. They've gone; we'd go. I'M LOUD", "don't stop", "'s 't 're",
    "1", "12", "123", "1234", "12345 678901", "3.14159 and 2,718", "year 2024-11-29", "v1.2.3", "0x1F", "１２３ full-width digits",
    "def f(x):\n    return x ** 2  # square\n", "if (a && b) { c++; }", "for i in range(10): print(i)", "SELECT * FROM t WHERE id=42;",
    "<html><body class=\"x\">text</body></html>", "path/to/file.txt", "user@example.com", "https://example.com/a?b=c&d=e",
    "    indented line", "trailing spaces   ", "mixed \t whitespace \r\n runs", "!!!???...", "—–-", "«quotes» “curly” ‘single’",
    "<s>", "</s>", "<s>Hello</s>", "text<|im_start|>user\nHi<|im_end|>more", "<|im_start|>system\nYou are helpful.<|im_end|>\n",
    "a <unk> b", "no special < s > here", "<|im_start|><|im_end|>",
]
strings = list(base) + multilingual
words = ["the", "Ω", "naïve", "東京", "🦙", "42", " ", "\n", "don't", "<|im_end|>", "مرحبا", "e\u0301", "👩‍💻", "\t\t", "x=1;"]
for a, b in itertools.product(words, repeat=2):
    strings.append(a + b)
strings = list(dict.fromkeys(strings))
assert len(strings) >= 200, len(strings)

golden = {"strings": strings}
for name, make in [("bytelevel", bytelevel), ("llama3", llama3), ("metaspace", metaspace), ("spm", spm)]:
    tok = make()
    tok.save(os.path.join(out, name + ".json"))
    encodings = [tok.encode(s) for s in strings]
    golden[name] = {"ids": [e.ids for e in encodings], "decoded": [tok.decode(e.ids, skip_special_tokens=False) for e in encodings]}
with open(os.path.join(out, "golden.json"), "w", encoding="utf-8") as f:
    json.dump(golden, f, ensure_ascii=False)
print("strings", len(strings), "files", sorted(os.listdir(out)))
