// StepGraphs.swift: decode steps recorded once per shape and replayed as one launch (CUDA graphs, on a
// backend that records graphs). A step's ops read everything that changes between steps (ids, positions,
// slots, plan tables) from the step's one upload, so a recorded step replays correctly as long as every
// buffer it names is the same: the key holds what decides the shape (rows, the adapter tables' sizes)
// and the identity of every buffer owner (workspace, KV cache, adapter bank snapshot, scratch pool
// growth); owners are held weakly, so an entry whose owner is gone never matches a newcomer at the same
// address. A shape is run eagerly the first time (buffers reach their size), recorded the second time,
// replayed after. A step that cannot be recorded, or a replay the backend refuses (its scratch moved),
// runs eagerly instead and is recorded again at the next step; a shape whose recording failed three
// times is not tried again.
import Foundation

final class StepGraphs {
    /// What must be equal for a recorded step to be replayed.
    struct Key: Hashable {
        var rows: Int
        /// The LoRA tables' layout: fused, slots per plan, plans, tables; nil without adapters.
        var lora: [Int]?
        var workspace: ObjectIdentifier
        var cache: ObjectIdentifier
        var bank: ObjectIdentifier?
        var bankGeneration: Int
        var scratchGeneration: Int
    }

    private enum State {
        case ranOnce
        case recorded(RecordedGraph)
        case unrecordable
    }

    private struct Entry {
        var state: State
        var failedRecordings = 0
        weak var workspace: Workspace?
        weak var cache: KVCache?
        weak var bank: AdapterBank?
        var lastUse: Int
    }

    /// The most shapes kept (the least recently used is dropped).
    static let capacity = 64
    /// Failed recordings after which a shape runs eagerly for good.
    static let recordingAttempts = 3

    private let backend: KernelBackend
    private var entries: [Key: Entry] = [:]
    private var uses = 0
    /// Steps replayed, recorded, and run eagerly because recording or replay failed (for tests, bench).
    private(set) var replays = 0, recordings = 0, fallbacks = 0

    /// nil when the backend records no graphs or DLP_GRAPHS=0.
    init?(backend: KernelBackend, environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard backend.recordsGraphs, environment["DLP_GRAPHS"] != "0" else { return nil }
        self.backend = backend
    }

    /// Forgets every recorded step (the weights changed).
    func removeAll() { entries.removeAll() }

    /// Runs `step` (device ops only, reading the step's inputs from buffers the key names), replaying or
    /// recording it by `key`.
    func run(_ key: Key, workspace: Workspace, cache: KVCache, bank: AdapterBank?, step: () throws -> Void) throws {
        uses += 1
        if var entry = entries[key], entry.workspace === workspace, entry.cache === cache, entry.bank === bank {
            entry.lastUse = uses
            switch entry.state {
            case .unrecordable:
                entries[key] = entry
                try step()
            case let .recorded(graph):
                entries[key] = entry
                do {
                    try backend.launch(graph)
                    replays += 1
                } catch {
                    // refused (say, the backend's scratch moved): record again next time
                    fallbacks += 1
                    entry.state = .ranOnce
                    entries[key] = entry
                    try step()
                }
            case .ranOnce:
                do {
                    let graph = try backend.record(step)
                    entry.state = .recorded(graph)
                    entries[key] = entry
                    recordings += 1
                    try backend.launch(graph)
                    replays += 1
                } catch {
                    fallbacks += 1
                    entry.failedRecordings += 1
                    entry.state = entry.failedRecordings >= Self.recordingAttempts ? .unrecordable : .ranOnce
                    entries[key] = entry
                    try step()
                }
            }
            return
        }
        try step()
        insert(Entry(state: .ranOnce, workspace: workspace, cache: cache, bank: bank, lastUse: uses), for: key)
    }

    private func insert(_ entry: Entry, for key: Key) {
        entries = entries.filter { $0.value.workspace != nil && $0.value.cache != nil && ($0.key.bank == nil || $0.value.bank != nil) }
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            entries[oldest] = nil
        }
        entries[key] = entry
    }
}
