# Shared by the tokenizer golden scripts: a Llama-2-style tokenizer trained with Hugging Face `tokenizers`
# (Prepend/Replace "▁" normalizer, BPE with byte fallback and a fused unk, Replace/ByteFallback/Fuse/Strip
# decoder, "<s> $A" template), with the 256 byte tokens <0xNN> added as Llama's vocabularies carry them.
import json
from tokenizers import Tokenizer, models, trainers, decoders, normalizers, processors


def train_spm_style(corpus, vocab_size, special_tokens):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tok.train_from_iterator([corpus], trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False))
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    for b in range(256):
        vocab.setdefault("<0x%02X>" % b, max(vocab.values()) + 1)
    tok = Tokenizer.from_str(json.dumps(data))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok
