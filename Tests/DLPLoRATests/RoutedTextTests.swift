// RoutedTextTests.swift: a chat prompt is routed on its messages' text only: the parts are found in the
// rendered prompt in order (Knuth-Morris-Pratt, checked against a naive search), sentences keep offsets
// into the whole prompt, and the template's role markers and system prompt get no sentence of their own.
import Testing
@testable import DLPLoRA

@Suite struct RoutedTextTests {
    /// The naive search the fast one must agree with.
    private func naive(_ texts: [String], in haystack: [UInt8]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = [], from = 0
        for text in texts {
            let needle = Array(text.utf8)
            if needle.isEmpty { continue }
            guard needle.count <= haystack.count - from,
                  let start = (from...(haystack.count - needle.count)).first(where: { haystack[$0..<($0 + needle.count)].elementsEqual(needle) })
            else { return nil }
            ranges.append(start..<(start + needle.count))
            from = start + needle.count
        }
        return ranges
    }

    @Test func partsAreFoundInOrderAsANaiveSearchFindsThem() {
        var random = SeededGenerator(seed: 7)
        let letters: [Character] = ["a", "b", "c"]
        func word(_ n: Int) -> String { String((0..<n).map { _ in letters[Int(random.next() % 3)] }) }
        for _ in 0..<500 {
            let haystack = Array(word(Int(random.next() % 40)).utf8)
            let texts = (0..<Int(random.next() % 4)).map { _ in word(Int(random.next() % 5)) }
            #expect(SequencePlans.locate(texts, in: haystack) == naive(texts, in: haystack), "\(texts) in \(String(decoding: haystack, as: UTF8.self))")
        }
        #expect(SequencePlans.locate(["aab", "aab"], in: Array("aaab xaab".utf8)) == [1..<4, 6..<9])
        #expect(SequencePlans.locate(["x"], in: Array("abc".utf8)) == nil)
    }

    @Test func onlyThePartsAreRouted() throws {
        let router = SentenceRouter(router: try Router.load(path: Fixtures.path("router/tiny-router.safetensors")))
        let text = "<system>Be brief and kind.</system><user>The striker scored a goal. Bake the dough with sugar.</user>"
        let bytes = Array(text.utf8)
        let user = "The striker scored a goal. Bake the dough with sugar."
        let parts = try #require(SequencePlans.locate([user], in: bytes))
        let routed = router.route(text, parts: parts)
        #expect(routed.map(\.sentence.text) == ["The striker scored a goal.", "Bake the dough with sugar."])
        for item in routed {
            #expect(String(decoding: bytes[item.sentence.utf8Range], as: UTF8.self) == item.sentence.text)
        }
        #expect(routed.map(\.plan) == router.route(user).map(\.plan), "the same plans as the messages alone")
        var once = router
        once.granularity = .prompt
        let shared = once.route(text, parts: parts)
        #expect(Set(shared.map(\.plan.description)).count == 1 && shared.count == 2)
    }
}
