// RoutedGenerationTests.swift: routing drives the multi-LoRA rows. Each prompt token row points at the
// plan of the sentence it falls in; a new sentence in the output is routed when it starts; scoring with a
// router equals scoring with the same per-row plans given by hand; generate reports every route.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct RoutedGenerationTests {
    static let trained: Result<Router, Error> = Result {
        var config = smallRouterConfig()
        config.selection = TopPSelection(p: 0.6, weighting: .softmax, maxAdapters: 2)
        return try RouterTrainer.train(syntheticRoutingData(), config: config)
    }
    static var router: Router { get throws { try trained.get() } }

    @Test func promptRowsFollowTheirSentences() throws {
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/bytelevel.json"))
        let text = "Striker goal match penalty league. Bake dough sugar flour oven. Rocket orbit comet galaxy."
        let ids = try tokenizer.encode(text, addSpecialTokens: true)
        var routes: [(String, FusionPlan)] = []
        var plans = try SequencePlans(request: GenerationRequest(promptIDs: ids, router: SentenceRouter(router: try Self.router)),
                                      tokenizer: tokenizer) { routes.append(($0, $1)) }
        #expect(routes.map(\.0) == ["Striker goal match penalty league.", "Bake dough sugar flour oven.", "Rocket orbit comet galaxy."])
        #expect(routes.map { $0.1.slots.first?.adapter } == ["sports", "baking", "space"])
        // the rows of each plan decode to that sentence (with the space before it)
        for (p, (sentence, _)) in routes.enumerated() {
            let rows = ids.indices.filter { plans.promptRows[$0] == Int32(p) }.map { ids[$0] }
            #expect(tokenizer.decode(rows, skipSpecialTokens: true).trimmingCharacters(in: .whitespaces) == sentence)
        }
        #expect(plans.current == 2)
        // generation: a sentence that ends routes the next one
        plans.observe(" Bake recipe", onRoute: { routes.append(($0, $1)) })
        #expect(routes.count == 3)
        plans.observe(" dough sugar oven.", onRoute: { routes.append(($0, $1)) })
        #expect(routes.count == 3)                                   // not finished until the next one starts
        plans.observe(" Then", onRoute: { routes.append(($0, $1)) })
        #expect(routes.count == 4 && routes[3].0 == "Bake recipe dough sugar oven." && plans.current == 3)
        #expect(routes[3].1.slots.first?.adapter == "baking")
    }
}

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct SmolLM2RoutedTests {
    @Test func routedScoringEqualsHandMadePlansAndGenerationRoutes() throws {
        let loaded = try LoadedModel(path: try #require(Fixtures.smollm2), backend: Fixtures.cpu)
        let tokenizer = try #require(loaded.tokenizer)
        for (i, name) in try RoutedGenerationTests.router.adapterNames.enumerated() {
            try loaded.adapters.add(try randomAdapter(name, config: loaded.model.config, rank: 4, projections: [.qProj, .vProj], seed: UInt64(40 + i)))
        }
        let sentenceRouter = SentenceRouter(router: try RoutedGenerationTests.router)
        let text = "The striker scored a goal. Bake the dough with sugar."
        let ids = try tokenizer.encode(text)
        let routed = try loaded.logProbabilities(ids: ids, router: sentenceRouter)
        // the same plans by hand: rows of the first sentence use plan 0, the rest plan 1
        let plans = sentenceRouter.route(text).map(\.plan)
        let firstSentenceTokens = try tokenizer.encode("The striker scored a goal.").count
        let rows = ids.indices.map { Int32($0 < firstSentenceTokens ? 0 : 1) }
        let cache = try loaded.model.makeCache(slots: 1, capacity: ids.count)
        let logits = try loaded.model.forward(tokens: ids, slots: Array(repeating: 0, count: ids.count), positions: (0..<ids.count).map(Int32.init),
                                              logitRows: Array(0..<(ids.count - 1)), cache: cache,
                                              adapters: AdapterSelection(bank: loaded.adapters, plans: plans, planOfRow: rows))
        let vocab = loaded.model.config.vocabSize
        for i in 1..<ids.count {
            let row = logits[((i - 1) * vocab)..<(i * vocab)]
            let top = Double(row.max() ?? 0)
            let expected = Double(row[row.startIndex + Int(ids[i])]) - (log(row.reduce(0.0) { $0 + exp(Double($1) - top) }) + top)
            #expect(abs(routed[i - 1] - expected) < 1e-4)
        }
        // the base model gives other numbers: the adapters are in use
        #expect(try loaded.logProbabilities(ids: ids) != routed)

        let generator = Generator(model: loaded.model, tokenizer: tokenizer, contextLength: 128, adapters: loaded.adapters)
        var routes: [String] = []
        _ = try generator.generate([GenerationRequest(promptIDs: ids, maxTokens: 24, router: sentenceRouter)], onRoute: { _, s, _ in routes.append(s) })
        #expect(routes.prefix(2) == ["The striker scored a goal.", "Bake the dough with sugar."])
        // a router whose adapter is not loaded is refused
        try loaded.adapters.unload(name: "space")
        #expect(throws: AdapterError.unknownAdapter("space", loaded: loaded.adapters.names)) { _ = try generator.generate([GenerationRequest(promptIDs: ids, maxTokens: 2, router: sentenceRouter)]) }
    }
}
