// KernelBackend+Graphs.swift: recording a sequence of ops as a graph and replaying it as one launch (the
// table's optional graph_* entries: CUDA graphs on the CUDA plugin; the CPU table has none). While a
// graph is recorded the context is held by the recording thread, so no other thread's op lands in it.
import CKernels
import Foundation

/// A recorded graph on a backend (freed when released).
final class RecordedGraph {
    let backend: KernelBackend
    let handle: OpaquePointer

    init(backend: KernelBackend, handle: OpaquePointer) {
        self.backend = backend
        self.handle = handle
    }

    deinit {
        backend.lock.lock()
        defer { backend.lock.unlock() }
        backend.table.graph_free?(backend.context, handle)
    }
}

extension KernelBackend {
    /// The table records graphs (all four graph entries present).
    var recordsGraphs: Bool {
        table.graph_begin != nil && table.graph_end != nil && table.graph_launch != nil && table.graph_free != nil
    }

    /// Runs `body`'s ops into a new graph instead of running them. Nothing of body ran when this returns
    /// or throws; an error from body or from the backend's recording is thrown after recording stopped.
    func record(_ body: () throws -> Void) throws -> RecordedGraph {
        lock.lock()
        defer { lock.unlock() }
        let begin = try entry(table.graph_begin, "graph_begin"), end = try entry(table.graph_end, "graph_end")
        try check(begin(context), "graph_begin")
        var graph: OpaquePointer?
        do {
            try body()
        } catch {
            _ = end(context, nil)        // stops recording and discards it
            throw error
        }
        try check(end(context, &graph), "graph_end")
        guard let graph else { throw BackendError.missingEntryPoint(backend: name, name: "graph_end result") }
        return RecordedGraph(backend: self, handle: graph)
    }

    /// Replays `graph` (one launch).
    func launch(_ graph: RecordedGraph) throws {
        try run("graph_launch") { try entry(table.graph_launch, "graph_launch")(context, graph.handle) }
    }
}
