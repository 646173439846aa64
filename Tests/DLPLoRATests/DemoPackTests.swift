// DemoPackTests.swift: the demo pack as README's first command runs it: `dlp-gpu generate` with no
// --model loads SmolLM2 from the cache with the committed adapters and router, routes the demo prompt's
// sentences to the expected task adapters, and greedily generates the committed start of the answer
// (Tests/Fixtures/demo/expected.json, recorded when the adapters were trained).
import Foundation
import Testing
@testable import DLPLoRA

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct DemoPackTests {
    struct Expected: Decodable {
        let prompt: String
        let routes: [String]
        let text_start: String
    }

    @Test func packLoadsRoutesAndGeneratesTheRecordedAnswer() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("demo/expected.json"))))
        let result = try runCommand(["generate", "--device", "cpu", "--max-tokens", "12", "--json", "--prompt", expected.prompt],
                                    environment: ["DLP_DEMO_ROOT": Fixtures.repository])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let routing = try #require(object["routing"] as? [[String: Any]])
        let adapters = routing.map { (($0["plan"] as? [[String: Any]])?.first?["adapter"] as? String) ?? "" }
        #expect(adapters == expected.routes)
        let text = try #require(object["text"] as? String)
        #expect(text.hasPrefix(expected.text_start), "generated \(text.debugDescription)")
    }
}
