// LoRAKernelArgumentTests.swift: the CPU kernel table's LoRA ops refuse bad arguments (NULL tables or
// banks, a row pointing past the plans, a plan naming an adapter past the bank, a rank past r_max) with
// DLP_STATUS_INVALID_ARGUMENT and a last_error naming the op, and leave y alone.
import CKernels
import Testing

@Suite struct LoRAKernelArgumentTests {
    /// A 2-row, 1-slot, r_max 4 setup on the CPU table; each case breaks one argument.
    @Test func badArgumentsAreRefusedByName() throws {
        let table = try #require(dlp_cpu_kernel_table()).pointee
        var context: OpaquePointer?
        #expect(table.context_create(1, 0, &context) == DLP_STATUS_OK)
        defer { table.context_destroy(context) }
        let m = 2, dIn = 8, dOut = 8, rMax = 4
        let x = [Float](repeating: 1, count: m * dIn), w = [Float](repeating: 0.5, count: dOut * dIn)
        let a = [Float](repeating: 0.1, count: rMax * dIn), b = [Float](repeating: 0.2, count: rMax * dOut)
        let scales: [Float] = [2], weights: [Float] = [1]
        var t = [Float](repeating: 0, count: m * rMax), y = [Float](repeating: 7, count: m * dOut)
        func lastError() -> String { table.last_error(context).map { String(cString: $0) } ?? "" }

        /// The status and last_error of one gemm_lora call.
        func gemmLoRA(ranks: [Int32], planAdapters: [Int32], planOfRow: [Int32], aBank: UnsafeRawPointer?) -> (dlp_status, String) {
            let status = ranks.withUnsafeBufferPointer { r in planAdapters.withUnsafeBufferPointer { pa in planOfRow.withUnsafeBufferPointer { pr in
                table.gemm_lora(context, Int64(m), Int64(dOut), Int64(dIn), x, Int64(dIn), w, DLP_DTYPE_F32, Int64(dIn), nil,
                                DLP_DTYPE_F32, 0, &y, Int64(dOut), Int64(rMax), 1, aBank, b, DLP_DTYPE_F32, 1, r.baseAddress,
                                scales, 1, pa.baseAddress, weights, pr.baseAddress, &t)
            } } }
            return (status, lastError())
        }
        let cases: [(String, (dlp_status, String), String)] = a.withUnsafeBytes { aBytes in [
            ("row past the plans", gemmLoRA(ranks: [4], planAdapters: [0], planOfRow: [0, 1], aBank: aBytes.baseAddress), "row 1 points at plan 1"),
            ("adapter past the bank", gemmLoRA(ranks: [4], planAdapters: [3], planOfRow: [0, 0], aBank: aBytes.baseAddress), "names adapter 3"),
            ("rank past r_max", gemmLoRA(ranks: [5], planAdapters: [0], planOfRow: [0, -1], aBank: aBytes.baseAddress), "has rank 5"),
            ("NULL A bank", gemmLoRA(ranks: [4], planAdapters: [0], planOfRow: [0, 0], aBank: nil), "NULL"),
        ] }
        for (name, (status, error), message) in cases {
            #expect(status == DLP_STATUS_INVALID_ARGUMENT, "\(name)")
            #expect(error.contains("gemm_lora") && error.contains(message), "\(name): \(error)")
        }
        #expect(y.allSatisfy { $0 == 7 }, "a refused op wrote y")

        let ranks: [Int32] = [4], planAdapters: [Int32] = [0], planOfRow: [Int32] = [0, 0]
        let shrink = table.lora_shrink(context, Int64(m), Int64(dIn), Int64(rMax), 1, x, Int64(dIn), nil, DLP_DTYPE_F32, 1,
                                       ranks, scales, 1, planAdapters, weights, planOfRow, &t)
        #expect(shrink == DLP_STATUS_INVALID_ARGUMENT)
        #expect(lastError().contains("lora_shrink"))
        let expand = table.lora_expand(context, Int64(m), Int64(dOut), Int64(rMax), 1, t, b, DLP_DTYPE_F32, 1, nil, 1,
                                       planAdapters, planOfRow, &y, Int64(dOut))
        #expect(expand == DLP_STATUS_INVALID_ARGUMENT)
        #expect(lastError().contains("lora_expand: a NULL rank or plan table"))
    }
}
