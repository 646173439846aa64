// TextMetrics.swift: BLEU (corpus BLEU as sacrebleu computes it by default: 13a tokenization, n-grams up
// to 4, brevity penalty, "exp" smoothing) and ROUGE-1 / ROUGE-L F-measures (as rouge-score computes them
// without stemming: lowercase, non-alphanumerics to spaces), for generative tasks.
import Foundation

public enum TextMetrics {
    // MARK: BLEU

    /// sacrebleu's default 13a tokenizer.
    static func tokenize13a(_ text: String) -> [String] {
        var s = text.replacingOccurrences(of: "<skipped>", with: "")
        s = s.replacingOccurrences(of: "-\n", with: "").replacingOccurrences(of: "\n", with: " ")
        if s.contains("&") {
            for (entity, char) in [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] { s = s.replacingOccurrences(of: entity, with: char) }
        }
        s = " " + s + " "
        s = s.replacingOccurrences(of: #"([\{-\~\[-\` -\&\(-\+\:-\@\/])"#, with: " $1 ", options: .regularExpression)
        s = s.replacingOccurrences(of: #"([^0-9])([\.,])"#, with: "$1 $2 ", options: .regularExpression)
        s = s.replacingOccurrences(of: #"([\.,])([^0-9])"#, with: " $1 $2", options: .regularExpression)
        s = s.replacingOccurrences(of: #"([0-9])(-)"#, with: "$1 $2 ", options: .regularExpression)
        return s.split(separator: " ").map(String.init)
    }

    static func ngrams(_ tokens: [String], _ n: Int) -> [String: Int] {
        var counts: [String: Int] = [:]
        if tokens.count >= n { for i in 0...(tokens.count - n) { counts[tokens[i..<(i + n)].joined(separator: " "), default: 0] += 1 } }
        return counts
    }

    /// Corpus BLEU (0-100) of `hypotheses` against `references[i]` (one or more per hypothesis).
    /// `effectiveOrder` averages only the n-gram orders the hypotheses have (sacrebleu's sentence_bleu).
    public static func bleu(hypotheses: [String], references: [[String]], effectiveOrder: Bool = false) -> Double {
        var correct = [Int](repeating: 0, count: 4), total = [Int](repeating: 0, count: 4)
        var hypLength = 0, refLength = 0
        for (h, refs) in zip(hypotheses, references) {
            let ht = tokenize13a(h)
            let rts = refs.map(tokenize13a)
            hypLength += ht.count
            // closest reference length, shorter on ties
            refLength += rts.map(\.count).min { abs($0 - ht.count) < abs($1 - ht.count) || (abs($0 - ht.count) == abs($1 - ht.count) && $0 < $1) } ?? 0
            for n in 1...4 {
                let hc = ngrams(ht, n)
                var maxRef: [String: Int] = [:]
                for rt in rts { for (g, c) in ngrams(rt, n) { maxRef[g] = max(maxRef[g] ?? 0, c) } }
                correct[n - 1] += hc.reduce(0) { $0 + min($1.value, maxRef[$1.key] ?? 0) }
                total[n - 1] += max(ht.count - n + 1, 0)
            }
        }
        guard hypLength > 0 else { return 0 }
        guard correct[0] > 0 else { return 0 }       // sacrebleu: no unigram match, no score
        var logPrecisions: [Double] = []
        var smooth = 1.0
        for n in 0..<4 {
            guard total[n] > 0 else { if effectiveOrder { break } else { return 0 } }
            let p = correct[n] == 0 ? { smooth *= 2; return 1 / (smooth * Double(total[n])) }() : Double(correct[n]) / Double(total[n])
            logPrecisions.append(log(p))
        }
        guard !logPrecisions.isEmpty else { return 0 }
        let brevity = hypLength < refLength ? exp(1 - Double(refLength) / Double(hypLength)) : 1
        return 100 * brevity * exp(logPrecisions.reduce(0, +) / Double(logPrecisions.count))
    }

    // MARK: ROUGE

    /// rouge-score's default tokenizer (no stemming).
    static func rougeTokens(_ text: String) -> [String] {
        text.lowercased().replacingOccurrences(of: "[^a-z0-9]+", with: " ", options: .regularExpression).split(separator: " ").map(String.init)
    }

    static func fMeasure(_ overlap: Int, _ target: Int, _ prediction: Int) -> Double {
        guard target > 0, prediction > 0, overlap > 0 else { return 0 }
        let p = Double(overlap) / Double(prediction), r = Double(overlap) / Double(target)
        return 2 * p * r / (p + r)
    }

    /// ROUGE-1 F-measure (0-1) of `prediction` against `target`.
    public static func rouge1(target: String, prediction: String) -> Double {
        let t = rougeTokens(target), p = rougeTokens(prediction)
        var counts: [String: Int] = [:]
        for w in t { counts[w, default: 0] += 1 }
        var overlap = 0
        var predictionCounts: [String: Int] = [:]
        for w in p { predictionCounts[w, default: 0] += 1 }
        for (w, c) in predictionCounts { overlap += min(c, counts[w] ?? 0) }
        return fMeasure(overlap, t.count, p.count)
    }

    /// ROUGE-L F-measure (0-1): longest common subsequence of tokens.
    public static func rougeL(target: String, prediction: String) -> Double {
        let t = rougeTokens(target), p = rougeTokens(prediction)
        guard !t.isEmpty, !p.isEmpty else { return 0 }
        var table = [[Int]](repeating: [Int](repeating: 0, count: p.count + 1), count: t.count + 1)
        for i in 1...t.count { for j in 1...p.count {
            table[i][j] = t[i - 1] == p[j - 1] ? table[i - 1][j - 1] + 1 : max(table[i - 1][j], table[i][j - 1])
        } }
        return fMeasure(table[t.count][p.count], t.count, p.count)
    }

    /// The best score over several references (as BIG-bench does for multi-reference targets).
    static func best(_ references: [String], _ score: (String) -> Double) -> Double { references.map(score).max() ?? 0 }
}
