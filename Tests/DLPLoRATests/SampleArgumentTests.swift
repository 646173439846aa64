// SampleArgumentTests.swift: the CPU table's `sample` refuses NULL logits, output and (when it draws)
// uniforms by name, as the CUDA op does, and greedy sampling needs no uniforms.
import CKernels
import Testing

@Suite struct SampleArgumentTests {
    @Test func nullPointersAreRefusedByName() throws {
        let table = try #require(dlp_cpu_kernel_table()).pointee
        var context: OpaquePointer?
        #expect(table.context_create(1, 0, &context) == DLP_STATUS_OK)
        defer { table.context_destroy(context) }
        func lastError() -> String { table.last_error(context).map { String(cString: $0) } ?? "" }
        let logits: [Float] = [0.1, 2.0, -1.0, 0.5, 0.3, 0.2]      // 2 rows x 3
        let uniforms: [Float] = [0.25, 0.75]
        var out: [Int32] = [-1, -1]
        #expect(table.sample(context, 2, 3, nil, 3, 0.8, 0, 1, uniforms, &out) == DLP_STATUS_INVALID_ARGUMENT)
        #expect(lastError().contains("sample: NULL logits"))
        #expect(table.sample(context, 2, 3, logits, 3, 0.8, 0, 1, uniforms, nil) == DLP_STATUS_INVALID_ARGUMENT)
        #expect(lastError().contains("sample: NULL out"))
        #expect(table.sample(context, 2, 3, logits, 3, 0.8, 0, 1, nil, &out) == DLP_STATUS_INVALID_ARGUMENT)
        #expect(lastError().contains("sample: NULL uniforms"))
        #expect(out == [-1, -1])
        #expect(table.sample(context, 2, 3, logits, 3, 0, 0, 1, nil, &out) == DLP_STATUS_OK)   // greedy: no draw
        #expect(out == [1, 0])
    }
}
