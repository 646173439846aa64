// Workspace.swift: the activation buffers of one forward pass, sized for a maximum number of token rows
// and reused by every step (the decode loop allocates nothing once the workspace has grown). The step's
// inputs (ids, slots, positions, plans, draws) live in StepInputs' buffer.

final class Workspace {
    let rows: Int
    let logitRows: Int
    let hidden: DeviceTensor      // f32 [rows, hidden]: the residual stream
    let normed: DeviceTensor      // f32 [rows, hidden]
    let q: DeviceTensor           // f32 [rows, heads * head_dim]
    let k: DeviceTensor           // f32 [rows, kv_heads * head_dim]
    let v: DeviceTensor           // f32 [rows, kv_heads * head_dim]
    let attention: DeviceTensor   // f32 [rows, heads * head_dim]
    let gate: DeviceTensor        // f32 [rows, intermediate]
    let up: DeviceTensor          // f32 [rows, intermediate]
    let finalRows: DeviceTensor   // f32 [logitRows, hidden]: normed rows whose logits are wanted
    let logits: DeviceTensor      // f32 [logitRows, vocab]
    let choices: DeviceTensor     // i32 [logitRows]: the tokens it chose

    init(backend: KernelBackend, config: ModelConfig, rows: Int, logitRows: Int) throws {
        self.rows = rows
        self.logitRows = logitRows
        func f32(_ r: Int, _ width: Int) throws -> DeviceTensor {
            DeviceTensor(buffer: try backend.allocate(bytes: r * width * 4), dtype: .f32, shape: [r, width])
        }
        let qWidth = config.numAttentionHeads * config.headDimension, kvWidth = config.kvHeads * config.headDimension
        hidden = try f32(rows, config.hiddenSize)
        normed = try f32(rows, config.hiddenSize)
        q = try f32(rows, qWidth)
        k = try f32(rows, kvWidth)
        v = try f32(rows, kvWidth)
        attention = try f32(rows, qWidth)
        gate = try f32(rows, config.intermediateSize)
        up = try f32(rows, config.intermediateSize)
        finalRows = try f32(logitRows, config.hiddenSize)
        logits = try f32(logitRows, config.vocabSize)
        choices = try f32(logitRows, 1)        // i32, the same element size
    }
}
