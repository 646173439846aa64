// DeviceRouterTests.swift: the router's forward through the kernel table (DeviceRouter: embedding_bag,
// gemm, relu, route_top_p) against the host Router on the demo pack's trained router: the same
// probabilities and plans for every text, one batch; SentenceRouter with a device router routes prompts
// and chat parts exactly as without; embedding_bag refuses bad features and offsets by name.
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct DeviceRouterTests {
    static let texts = ["Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY?",
                        "On the desk, you see a red pen and a green mug. What color is the pen?",
                        "Utterance: Add this song to my road trip playlist.", "Intent:", "I feel so alone since my dog died.",
                        "", "🙂", "Today is Christmas Eve of 1937. What is the date one week from today?",
                        "Please set an alarm for six in the morning.", String(repeating: "a very long text ", count: 80)]

    private func demoRouter() throws -> Router { try Router.load(path: Fixtures.repository + "/demo/router.safetensors") }

    @Test(arguments: [1, 2])
    func deviceForwardEqualsTheHostRouter(threads: Int) throws {
        let router = try demoRouter()
        let device = try DeviceRouter(router: router, backend: try KernelBackend.cpu(threads: threads))
        let probabilities = try device.probabilities(for: Self.texts)
        let plans = try device.plans(for: Self.texts)
        #expect(probabilities.count == Self.texts.count && plans.count == Self.texts.count)
        for (i, text) in Self.texts.enumerated() {
            let host = router.probabilities(for: text)
            #expect(maxAbsDifference(probabilities[i], host) < 1e-6, "\(text.prefix(40))")
            let expected = router.plan(for: text)
            #expect(plans[i].slots.map(\.adapter) == expected.slots.map(\.adapter), "\(text.prefix(40))")
            #expect(maxAbsDifference(plans[i].slots.map(\.weight), expected.slots.map(\.weight)) < 1e-6)
        }
        #expect(try device.logits(for: []).isEmpty && (try device.plans(for: [])).isEmpty)
    }

    @Test func sentenceRoutingWithADeviceRouterMatchesTheHost() throws {
        let router = try demoRouter()
        let device = try DeviceRouter(router: router, backend: try KernelBackend.cpu(threads: 2))
        let prompt = Self.texts.prefix(5).joined(separator: " ") + " Ok. Thanks! What now?"
        let host = SentenceRouter(router: router), onDevice = SentenceRouter(router: router, device: device)
        func summary(_ routed: [RoutedSentence]) -> [String] { routed.map { "\($0.sentence.utf8Range) \($0.plan)" } }
        #expect(summary(onDevice.route(prompt)) == summary(host.route(prompt)))
        #expect(onDevice.route(prompt).count >= 6)
        let parts = [0..<40, 50..<prompt.utf8.count]
        #expect(summary(onDevice.route(prompt, parts: parts)) == summary(host.route(prompt, parts: parts)))
        #expect("\(onDevice.plan(for: "Ok.", previous: Self.texts[0]))" == "\(host.plan(for: "Ok.", previous: Self.texts[0]))")
    }

    @Test func embeddingBagRefusesBadFeaturesAndOffsets() throws {
        let b = try KernelBackend.cpu(threads: 1)
        let table = try deviceTensor(b, floats: (0..<12).map(Float.init), shape: [4, 3])
        let out = try deviceTensor(b, floats: [Float](repeating: -1, count: 6), shape: [2, 3])
        try b.embeddingBag(sentences: 2, embedding: table, features: try deviceTensor(b, ints: [1, 3, 2]),
                           offsets: try deviceTensor(b, ints: [0, 0, 3]), out: out)
        #expect(try values(out) == [0, 0, 0, 6, 7, 8])          // no features: zeros; rows 1, 3, 2: their mean
        for (features, offsets, reason) in [([1, 4, 2], [0, 1, 3], "outside"), ([1, -1, 2], [0, 1, 3], "outside"),
                                            ([1, 3, 2], [0, 2, 1], "decrease"), ([1, 3, 2], [1, 2, 3], "offsets[0]")] {
            let before = try values(out)
            do {
                try b.embeddingBag(sentences: 2, embedding: table, features: try deviceTensor(b, ints: features.map(Int32.init)),
                                   offsets: try deviceTensor(b, ints: offsets.map(Int32.init)), out: out)
                Issue.record("features \(features) offsets \(offsets) were accepted")
            } catch let error as BackendError {
                #expect("\(error)".contains("embedding_bag") && "\(error)".contains(reason), "\(error)")
            }
            #expect(try values(out) == before)
        }
        let x = try deviceTensor(b, floats: [-1, 2, -0.5, 0, 3, -7], shape: [2, 3])
        try b.relu(rows: 2, width: 3, x: x)
        #expect(try values(x) == [0, 2, 0, 0, 3, 0])
    }
}
