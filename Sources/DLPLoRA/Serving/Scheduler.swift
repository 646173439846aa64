// Scheduler.swift: the owner of a model while it serves. One thread drives a BatchEngine: between two
// steps it takes new requests from a bounded queue into free slots, drops cancelled ones (their slots
// are free before the next step), enforces each request's deadline and runs adapter loads and unloads
// (so a change never lands inside a forward pass and an adapter in use is never unloaded). Each request
// is an async stream of events; a consumer that stops listening cancels its sequence within one step.
import Foundation

/// What a served request hears.
public enum SchedulerEvent: Sendable {
    /// Final text (see StopStringFilter).
    case text(String)
    /// A plan the router picked, with the sentence it was picked for (the prompt's sentences first).
    case route(sentence: String, plan: FusionPlan)
    /// The end: the whole result.
    case finished(GenerationResult)
}

/// Why the scheduler refused or ended a request.
public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    case queueFull(capacity: Int)
    case shuttingDown
    case timedOut(seconds: Double)
    case adapterInUse(String, requests: Int)
    case routerAdapter(String)
    /// A forward pass failed; every request running in it ends with this.
    case stepFailed(String)

    public var description: String {
        switch self {
        case let .queueFull(capacity): return "the server is busy: all \(capacity) places in the queue are taken; retry later"
        case .shuttingDown: return "the server is shutting down"
        case let .timedOut(seconds): return "the request did not finish within the server's limit of \(seconds) seconds"
        case let .adapterInUse(name, requests): return "adapter '\(name)' is in use by \(requests) request(s) in flight; unload it when they finish"
        case let .routerAdapter(name): return "adapter '\(name)' is one of the router's adapters (model 'dlp') and cannot be unloaded"
        case let .stepFailed(reason): return "the forward pass failed: \(reason)"
        }
    }
}

/// Measurements the scheduler reports as it works (called on its thread; keep them short).
public protocol SchedulerMetrics: Sendable {
    /// A request's first token, `seconds` after it was submitted.
    func firstToken(label: String, seconds: Double)
    /// Seconds between two consecutive tokens of one request.
    func interToken(label: String, seconds: Double)
    /// A request ended: finished (its finish reason), "cancelled", "timeout" or "error".
    func ended(label: String, outcome: String, promptTokens: Int, generatedTokens: Int)
    /// Queue depth, running sequences and KV slots in use after a change.
    func occupancy(waiting: Int, running: Int, slotsInUse: Int)
}

public final class Scheduler: @unchecked Sendable {
    public struct Limits: Sendable {
        /// Requests waiting for a slot, at most.
        public var maxQueue: Int
        /// Seconds a request may take from submission to its end (nil: no limit).
        public var requestTimeout: Double?
        public init(maxQueue: Int = 64, requestTimeout: Double? = 600) {
            self.maxQueue = maxQueue
            self.requestTimeout = requestTimeout
        }
    }

    /// A submitted request, waiting or running.
    private final class Ticket {
        let id: Int
        let request: GenerationRequest
        let label: String
        let continuation: AsyncThrowingStream<SchedulerEvent, Error>.Continuation
        let submitted = Date()
        let deadline: Date?
        var engineID: Int?
        var lastToken: Date?
        var generated = 0
        init(id: Int, request: GenerationRequest, label: String, timeout: Double?,
             continuation: AsyncThrowingStream<SchedulerEvent, Error>.Continuation) {
            self.id = id
            self.request = request
            self.label = label
            self.continuation = continuation
            deadline = timeout.map { Date().addingTimeInterval($0) }
        }
    }

    public let engine: BatchEngine
    public let limits: Limits
    private let metrics: SchedulerMetrics?
    private let condition = NSCondition()
    // guarded by `condition`
    private var waiting: [Ticket] = []
    private var cancelled: Set<Int> = []
    private var commands: [() -> Void] = []
    private var accepting = true
    private var stopping = false
    private var stopped = false
    private var nextTicket = 0
    private var counts = (waiting: 0, running: 0, slotsInUse: 0)
    // owned by the scheduler thread
    private var running: [Int: Ticket] = [:]

    /// Starts the scheduler's thread.
    public init(engine: BatchEngine, limits: Limits, metrics: SchedulerMetrics? = nil) {
        self.engine = engine
        self.limits = limits
        self.metrics = metrics
        let thread = Thread { [self] in loop() }
        thread.name = "dlp-scheduler"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// (waiting, running, KV slots in use) as of the last step.
    public var occupancy: (waiting: Int, running: Int, slotsInUse: Int) { condition.withLock { counts } }

    /// A queued request: its events, and a way to cancel it (for when its client goes away).
    public struct Submission: Sendable {
        public let events: AsyncThrowingStream<SchedulerEvent, Error>
        public let cancel: @Sendable () -> Void
    }

    /// Queues `request` (checked first: an invalid one throws here). `label` names it in metrics. The
    /// events end with `.finished`, or throw (a timeout, a failed step, shutdown); leaving them, or
    /// calling `cancel`, cancels the request within one step.
    public func submit(_ request: GenerationRequest, label: String) throws -> Submission {
        try engine.validate(request)
        var made: AsyncThrowingStream<SchedulerEvent, Error>.Continuation?
        let stream = AsyncThrowingStream<SchedulerEvent, Error>(bufferingPolicy: .unbounded) { made = $0 }
        guard let continuation = made else { throw SchedulerError.shuttingDown }
        let id: Int = try condition.withLock {
            guard accepting else { throw SchedulerError.shuttingDown }
            // the queue holds what cannot start now: requests that free slots will take at the next step do not count
            let freeSlots = max(0, engine.options.maxBatch - counts.slotsInUse)
            guard waiting.count < limits.maxQueue + freeSlots else { throw SchedulerError.queueFull(capacity: limits.maxQueue) }
            let id = nextTicket
            nextTicket += 1
            waiting.append(Ticket(id: id, request: request, label: label, timeout: limits.requestTimeout, continuation: continuation))
            counts.waiting = waiting.count
            condition.signal()
            return id
        }
        continuation.onTermination = { [weak self] reason in
            if case .cancelled = reason { self?.cancel(ticket: id) }
        }
        return Submission(events: stream, cancel: { [weak self] in self?.cancel(ticket: id) })
    }

    private func cancel(ticket id: Int) {
        condition.withLock {
            cancelled.insert(id)
            condition.signal()
        }
    }

    /// Runs `body` on the scheduler's thread between two steps, with the adapter names that requests in
    /// flight (waiting or running) refer to.
    public func betweenSteps<T: Sendable>(_ body: @escaping @Sendable (BatchEngine, [String: Int]) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (result: CheckedContinuation<T, Error>) in
            condition.withLock {
                guard !stopped else { result.resume(throwing: SchedulerError.shuttingDown); return }
                commands.append { [self] in
                    var uses: [String: Int] = [:]
                    let inFlight = condition.withLock { waiting } + Array(running.values)
                    for ticket in inFlight { for name in Set(ticket.request.adapterNames) { uses[name, default: 0] += 1 } }
                    result.resume(with: Result { try body(engine, uses) })
                }
                condition.signal()
            }
        }
    }

    /// Unloads adapter `name` from the engine's bank unless a request in flight or the router uses it.
    public func unloadAdapter(_ name: String, routerAdapters: [String]) async throws {
        try await betweenSteps { engine, uses in
            guard !routerAdapters.contains(name) else { throw SchedulerError.routerAdapter(name) }
            if let n = uses[name], n > 0 { throw SchedulerError.adapterInUse(name, requests: n) }
            guard let bank = engine.adapters else { throw AdapterError.unknownAdapter(name, loaded: []) }
            try bank.unload(name: name)
        }
    }

    /// Stops taking requests, lets those in flight finish for up to `seconds`, then cancels the rest
    /// (their streams throw `shuttingDown`) and ends the thread.
    public func shutdown(drainingFor seconds: Double) async {
        condition.withLock {
            accepting = false
            condition.signal()
        }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let busy = condition.withLock { counts.waiting + counts.running > 0 }
            if !busy { break }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        condition.withLock {
            stopping = true
            condition.signal()
        }
        while !condition.withLock({ stopped }) { try? await Task.sleep(nanoseconds: 5_000_000) }
    }

    // MARK: the scheduler thread

    private func loop() {
        while true {
            condition.lock()
            while !stopping, waiting.isEmpty, cancelled.isEmpty, commands.isEmpty, running.isEmpty {
                condition.wait()
            }
            if stopping {
                let left = waiting
                waiting.removeAll()
                stopped = true
                let pendingCommands = commands
                commands.removeAll()
                condition.unlock()
                for command in pendingCommands { command() }
                for ticket in left { end(ticket, throwing: SchedulerError.shuttingDown, outcome: "cancelled") }
                for ticket in running.values {
                    if let id = ticket.engineID { engine.cancel(id) }
                    end(ticket, throwing: SchedulerError.shuttingDown, outcome: "cancelled")
                }
                running.removeAll()
                publishCounts()
                return
            }
            let drop = cancelled
            cancelled.removeAll()
            let todo = commands
            commands.removeAll()
            let droppedWaiting = waiting.filter { drop.contains($0.id) }
            waiting.removeAll { drop.contains($0.id) }
            condition.unlock()
            // a cancelled request's stream ends (its owner may still be listening: cancel() came from elsewhere)
            for ticket in droppedWaiting { end(ticket, throwing: CancellationError(), outcome: "cancelled") }

            for command in todo { command() }
            for id in drop {
                guard let ticket = running.removeValue(forKey: id) else { continue }
                if let engineID = ticket.engineID { engine.cancel(engineID) }
                end(ticket, throwing: CancellationError(), outcome: "cancelled")
            }
            expireDeadlines()
            admitWaiting()
            publishCounts()
            guard engine.hasWork else { continue }
            do {
                try engine.step()
            } catch {
                // the engine cancelled every sequence; tell their owners why (the server's fault, not theirs)
                for ticket in running.values { end(ticket, throwing: SchedulerError.stepFailed("\(error)"), outcome: "error") }
                running.removeAll()
            }
            publishCounts()
        }
    }

    /// Moves waiting requests into free slots, oldest first.
    private func admitWaiting() {
        while engine.hasFreeSlot {
            let next: Ticket? = condition.withLock { waiting.isEmpty ? nil : waiting.removeFirst() }
            guard let ticket = next else { return }
            do {
                running[ticket.id] = ticket
                ticket.engineID = try engine.admit(ticket.request, observer: observer(for: ticket))
            } catch {
                running[ticket.id] = nil
                end(ticket, throwing: error, outcome: "error")
            }
        }
    }

    private func observer(for ticket: Ticket) -> BatchEngine.Observer {
        BatchEngine.Observer(
            onToken: { [self] _ in
                let now = Date()
                if let last = ticket.lastToken {
                    metrics?.interToken(label: ticket.label, seconds: now.timeIntervalSince(last))
                } else {
                    metrics?.firstToken(label: ticket.label, seconds: now.timeIntervalSince(ticket.submitted))
                }
                ticket.lastToken = now
                ticket.generated += 1
            },
            onText: { ticket.continuation.yield(.text($0)) },
            onRoute: { ticket.continuation.yield(.route(sentence: $0, plan: $1)) },
            onFinish: { [self] result in
                running[ticket.id] = nil
                metrics?.ended(label: ticket.label, outcome: result.finishReason.rawValue, promptTokens: result.promptTokens,
                               generatedTokens: result.tokenIDs.count)
                publishCounts()              // the engine has freed the slot: counts are true before the owner hears
                ticket.continuation.yield(.finished(result))
                ticket.continuation.finish()
            })
    }

    private func expireDeadlines() {
        let now = Date()
        let late = condition.withLock {
            let expired = waiting.filter { $0.deadline.map { $0 <= now } ?? false }
            waiting.removeAll { $0.deadline.map { $0 <= now } ?? false }
            return expired
        } + running.values.filter { $0.deadline.map { $0 <= now } ?? false }
        for ticket in late {
            if running.removeValue(forKey: ticket.id) != nil, let id = ticket.engineID { engine.cancel(id) }
            end(ticket, throwing: SchedulerError.timedOut(seconds: limits.requestTimeout ?? 0), outcome: "timeout")
        }
    }

    private func end(_ ticket: Ticket, throwing error: Error, outcome: String) {
        metrics?.ended(label: ticket.label, outcome: outcome, promptTokens: ticket.request.promptIDs.count, generatedTokens: ticket.generated)
        ticket.continuation.finish(throwing: error)
    }

    private func publishCounts() {
        let now = condition.withLock { () -> (Int, Int, Int) in
            counts = (waiting.count, running.count, engine.slotsInUse)
            return counts
        }
        metrics?.occupancy(waiting: now.0, running: now.1, slotsInUse: now.2)
    }
}
