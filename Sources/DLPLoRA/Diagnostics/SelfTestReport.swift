// SelfTestReport.swift: one line of `dlp-gpu selftest`: what was compared (an op at a shape and dtype,
// or a model end to end), the largest difference found, the tolerance it must stay under, and the table.

/// One comparison of the self test.
public struct SelfTestCheck: Sendable, Equatable {
    /// The op or model, e.g. "gemm" or "model tiny-qwen2".
    public let name: String
    /// Shape and variant, e.g. "m=5 n=130 k=200 +bias".
    public let shape: String
    /// Weight dtype ("f32", "f16", "bf16") or "-".
    public let dtype: String
    /// Largest difference, relative to the reference's largest magnitude (at least 1); for ids, mismatches.
    public let maxError: Double
    public let tolerance: Double
    /// The error the check threw instead of finishing (a failed launch, a device fault), if any.
    public var error: String? = nil

    public var passed: Bool { error == nil && maxError <= tolerance }

    /// Runs the checks `body` makes; an error becomes one failed check naming it, so that one failing op
    /// hides no other result. The backend is synchronized first, so a fault an earlier check left
    /// behind is reported there and not here.
    static func guarded(_ name: String, _ shape: String, _ dtype: String, on backend: KernelBackend,
                        _ body: () throws -> [SelfTestCheck]) -> [SelfTestCheck] {
        do {
            let checks = try body()
            try backend.synchronize()
            return checks
        } catch {
            return [SelfTestCheck(name: name, shape: shape, dtype: dtype, maxError: .infinity, tolerance: 0, error: "\(error)")]
        }
    }
}

/// The result of a self test.
public struct SelfTestReport: Sendable {
    /// "cuda vs cpu reference kernels", or "cpu vs cpu reference kernels".
    public let comparison: String
    public let checks: [SelfTestCheck]

    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The table `selftest` prints.
    public var table: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = ["# \(comparison)", pad("check", 22) + pad("shape", 50) + pad("dtype", 6) + pad("max error", 11) + pad("tolerance", 10) + "result"]
        for c in checks {
            if let error = c.error {
                lines.append(pad(c.name, 22) + pad(c.shape, 50) + pad(c.dtype, 6) + "ERROR: " + error)
                continue
            }
            lines.append(pad(c.name, 22) + pad(c.shape, 50) + pad(c.dtype, 6) + pad(String(format: "%.2e", c.maxError), 11)
                         + pad(String(format: "%.0e", c.tolerance), 10) + (c.passed ? "ok" : "MISMATCH"))
        }
        let failed = checks.filter { !$0.passed }.count
        lines.append(failed == 0 ? "all \(checks.count) checks passed" : "\(failed) of \(checks.count) checks FAILED")
        return lines.joined(separator: "\n")
    }
}

import Foundation
