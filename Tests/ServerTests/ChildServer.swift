// ChildServer.swift: `dlp-gpu serve` (the binary built beside the tests) in a process of its own on a free
// loopback port, for checks that need the server's own resident memory: other suites share the test
// process and load models meanwhile, so the test process' memory says nothing about one server.
import Foundation

struct ChildServerError: Error, CustomStringConvertible {
    let description: String
}

final class ChildServer: LoopbackClient, @unchecked Sendable {
    let process: Process
    let port: Int
    private let log: ChildLog

    private init(process: Process, port: Int, log: ChildLog) {
        self.process = process
        self.port = port
        self.log = log
    }

    deinit {
        // a test that threw before stop() leaves no server behind
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts `dlp-gpu serve --port 0 <arguments>` and returns once it answers /health.
    static func start(_ arguments: [String]) async throws -> ChildServer {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dlp-gpu")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", "0"] + arguments
        // without --model it serves this checkout's demo pack
        process.environment = ProcessInfo.processInfo.environment.merging(["DLP_DEMO_ROOT": Checkout.root]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let log = ChildLog()
        let bound = AsyncStream<Int>.makeStream()
        // stderr is read to its end on a thread of its own (a full pipe would stall the server)
        Thread.detachNewThread {
            let handle = stderr.fileHandleForReading
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                if let port = log.append(data) { bound.continuation.yield(port) }
            }
            bound.continuation.finish()
        }
        var iterator = bound.stream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            process.waitUntilExit()
            throw ChildServerError(description: "dlp-gpu serve exited (\(process.terminationStatus)) before listening:\n\(log.text)")
        }
        let child = ChildServer(process: process, port: port, log: log)
        for _ in 0..<1200 {
            if (try? await child.get("/health"))?.status == 200 { return child }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        process.terminate()
        throw ChildServerError(description: "dlp-gpu serve did not become healthy within 60 s:\n\(log.text)")
    }

    /// The server process' resident memory (VmRSS) in MiB.
    func residentMiB() throws -> Double {
        let path = "/proc/\(process.processIdentifier)/status"
        let status = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else {
            throw ChildServerError(description: "no VmRSS line in \(path)")
        }
        return kib / 1024
    }

    /// The scheduler's gauges from GET /metrics.
    func occupancy() async throws -> (waiting: Int, running: Int, slotsInUse: Int) {
        let text = try await get("/metrics").body
        func gauge(_ name: String) throws -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") }),
                  let value = Double(line.split(separator: " ").last ?? "") else {
                throw ChildServerError(description: "no \(name) in /metrics")
            }
            return Int(value)
        }
        return (try gauge("dlp_queue_depth"), try gauge("dlp_running_sequences"), try gauge("dlp_kv_slots_in_use"))
    }

    /// Waits until nothing runs or waits and no KV slot is held (at most `seconds`).
    func waitIdle(seconds: Double = 10) async throws -> (waiting: Int, running: Int, slotsInUse: Int) {
        let deadline = Date().addingTimeInterval(seconds)
        var last = try await occupancy()
        while Date() < deadline, last != (0, 0, 0) {
            try await Task.sleep(nanoseconds: 20_000_000)
            last = try await occupancy()
        }
        return last
    }

    /// SIGTERM, then the exit status once it has drained (SIGKILL after `seconds`).
    func stop(seconds: Double = 30) async throws -> Int32 {
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ChildServerError(description: "dlp-gpu serve did not exit within \(seconds) s of SIGTERM:\n\(log.text)")
        }
        return process.terminationStatus
    }

    /// What the server printed to stderr so far.
    var printed: String { log.text }
}

/// The child's stderr as it arrives; finds the port in "listening on http://127.0.0.1:PORT".
private final class ChildLog: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    private var announced = false

    /// Appends `data`; the port the first time the listening line is complete.
    func append(_ data: Data) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        bytes.append(data)
        guard !announced else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: "listening on http://127.0.0.1:"),
              let end = text[range.upperBound...].firstIndex(of: "\n"),
              let port = Int(text[range.upperBound..<end]) else { return nil }
        announced = true
        return port
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
