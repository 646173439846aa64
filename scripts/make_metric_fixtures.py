# Makes Tests/Fixtures/metrics/golden.json: BLEU from sacrebleu (corpus_bleu, its defaults: 13a tokenizer,
# exp smoothing) and ROUGE-1 / ROUGE-L F-measures from rouge-score (no stemming) for pairs of hypotheses
# and references, so the Swift metrics are checked against the libraries people cite.
# Usage: REFSTACK_PYTHON scripts/make_metric_fixtures.py   (needs sacrebleu and rouge-score)
import json, os
import sacrebleu
from rouge_score import rouge_scorer

pairs = [
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("The cat is on the mat.", "There is a cat on the mat."),
    ("A quick brown fox jumps over the lazy dog", "The quick brown fox jumped over the lazy dog."),
    ("It costs $4.50, not 3,000 dollars!", "It costs $4.50 -- not 3,000 dollars."),
    ("Paris", "The capital of France is Paris."),
    ("hello world", "goodbye moon"),
    ("The answer is 05/01/2021.", "05/01/2021"),
    ("add_to_playlist", "add to playlist"),
    ("She said: \"yes, of course\" (and left).", "She said yes and then she left."),
    ("Turn left, take 3 steps, then turn around.", "Take three steps after turning left; turn around."),
    ("e-mail me at a.b@example.com today", "Email me today at a.b@example.com"),
    ("", "Something"),
]
scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=False)
cases = []
for hyp, ref in pairs:
    s = scorer.score(ref, hyp)
    cases.append({"hypothesis": hyp, "reference": ref, "sentence_bleu": sacrebleu.sentence_bleu(hyp, [ref]).score,
                  "rouge1": s["rouge1"].fmeasure, "rougeL": s["rougeL"].fmeasure})
corpus = sacrebleu.corpus_bleu([h for h, _ in pairs], [[r for _, r in pairs]]).score
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "metrics", "golden.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump({"made_by": f"sacrebleu {sacrebleu.__version__}, rouge-score 0.1.2", "cases": cases, "corpus_bleu": corpus}, f, ensure_ascii=False, indent=1)
print("corpus BLEU", corpus)
