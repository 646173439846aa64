// TextMetricsTests.swift: BLEU against sacrebleu and ROUGE-1/ROUGE-L against rouge-score on committed
// fixtures (scripts/make_metric_fixtures.py).
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct TextMetricsTests {
    struct Golden: Decodable {
        struct Case: Decodable { let hypothesis: String; let reference: String; let sentence_bleu: Double; let rouge1: Double; let rougeL: Double }
        let cases: [Case]
        let corpus_bleu: Double
    }

    @Test func matchSacrebleuAndRougeScore() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("metrics/golden.json"))))
        for c in golden.cases {
            #expect(abs(TextMetrics.bleu(hypotheses: [c.hypothesis], references: [[c.reference]], effectiveOrder: true) - c.sentence_bleu) < 1e-6, "BLEU \(c.hypothesis.debugDescription)")
            #expect(abs(TextMetrics.rouge1(target: c.reference, prediction: c.hypothesis) - c.rouge1) < 1e-9, "ROUGE-1 \(c.hypothesis.debugDescription)")
            #expect(abs(TextMetrics.rougeL(target: c.reference, prediction: c.hypothesis) - c.rougeL) < 1e-9, "ROUGE-L \(c.hypothesis.debugDescription)")
        }
        let corpus = TextMetrics.bleu(hypotheses: golden.cases.map(\.hypothesis), references: golden.cases.map { [$0.reference] })
        #expect(abs(corpus - golden.corpus_bleu) < 1e-6)
    }
}
