// DemoPack.swift: where the demo pack is: SmolLM2-135M-Instruct in the git-ignored cache
// (.cache/smollm2, fetched by scripts/fetch-smollm2.sh or `make demo`), the task adapters in
// demo/adapters and the router demo/router.safetensors, found from DLP_DEMO_ROOT, the current folder or
// the executable's checkout.
import ArgumentParser
import Foundation

/// Folders that may be the dlp-gpu checkout: the current folder, then the executable's ancestors
/// (.build/<triple>/release/dlp-gpu -> the checkout).
func checkoutCandidates() -> [String] {
    var roots = [FileManager.default.currentDirectoryPath]
    var url = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    for _ in 0..<4 { url.deleteLastPathComponent(); roots.append(url.path) }
    return roots
}

struct DemoPack {
    let model: String
    let adapters: [String]
    let router: String?

    static func locate() throws -> DemoPack {
        let fm = FileManager.default
        var roots: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["DLP_DEMO_ROOT"] { roots.append(explicit) }
        roots += checkoutCandidates()
        guard let root = roots.first(where: { fm.fileExists(atPath: $0 + "/demo/adapters") }) else {
            throw ValidationError("no --model given and no demo pack found (looked for demo/adapters in \(roots.joined(separator: ", "))); run `make demo` in the dlp-gpu checkout or pass --model")
        }
        let model = root + "/.cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        guard fm.fileExists(atPath: model) else {
            throw ValidationError("the demo model is not in \(root)/.cache/smollm2; run scripts/fetch-smollm2.sh (or `make demo`)")
        }
        let adapterDirs = ((try? fm.contentsOfDirectory(atPath: root + "/demo/adapters")) ?? []).sorted()
            .map { root + "/demo/adapters/" + $0 }.filter { fm.fileExists(atPath: $0 + "/adapter_config.json") }
        let router = root + "/demo/router.safetensors"
        return DemoPack(model: model, adapters: adapterDirs, router: fm.fileExists(atPath: router) ? router : nil)
    }
}
