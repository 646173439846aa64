// KernelBackend.swift: the Swift face of one kernel table (dlp_kernels.h): a context on it, buffers, and
// one throwing method per op. The CPU table is built in; a plugin table (CUDA) comes from DeviceSelection.
// Every pointer argument is a device address (DeviceTensor.address); nothing here dereferences one.
import CKernels
import Foundation

/// A kernel backend: the CPU kernels compiled into the package, or a device plugin.
public final class KernelBackend: @unchecked Sendable {
    let table: dlp_kernel_table
    let context: OpaquePointer
    /// Serializes calls on the context; held from graph_begin to graph_end so no other thread's op is
    /// recorded into a graph.
    let lock = NSRecursiveLock()
    /// "cpu" or "cuda".
    public let name: String
    /// One line about the device: threads and SIMD level, or GPU name.
    public let deviceDescription: String
    /// The dtypes gemm and embedding take as weights here (block formats: the backends that keep
    /// quantized weights quantized; the loader dequantizes the others' weights to f32).
    public let weightDTypes: Set<DType>

    /// The kernel ABI version this build speaks (DLP_KERNELS_API_VERSION); a plugin must match it.
    public static let apiVersion = Int(DLP_KERNELS_API_VERSION)

    /// The most CPU worker threads a backend starts.
    public static let maximumThreads = 256

    /// The built-in CPU backend with `threads` worker threads (0: one per core). `referenceKernels` runs the
    /// plain scalar implementation of every op instead of the SIMD one (for comparisons); `avx512: false`
    /// keeps to AVX2 paths even on a CPU with AVX-512 (to compare the two).
    public static func cpu(threads: Int = 0, referenceKernels: Bool = false, avx512: Bool = true) throws -> KernelBackend {
        guard (0...maximumThreads).contains(threads) else {
            throw BackendError.unavailable(device: "cpu", reason: "\(threads) threads: give 0 (one per core) to \(maximumThreads)")
        }
        guard let table = dlp_cpu_kernel_table() else {
            throw BackendError.unavailable(device: "cpu", reason: "the CPU kernel table is missing")
        }
        let flags = (referenceKernels ? DLP_CONTEXT_REFERENCE_KERNELS : 0) | (avx512 ? 0 : DLP_CONTEXT_NO_AVX512)
        return try KernelBackend(table: table, threads: threads, flags: flags)
    }

    init(table pointer: UnsafePointer<dlp_kernel_table>, threads: Int, flags: UInt32 = 0) throws {
        let table = pointer.pointee
        let tableName = table.name.map { String(cString: $0) } ?? "unnamed"
        guard table.api_version == UInt32(DLP_KERNELS_API_VERSION) else {
            throw BackendError.unavailable(
                device: tableName,
                reason: "kernel API version \(table.api_version), this build needs \(DLP_KERNELS_API_VERSION)")
        }
        guard let create = table.context_create else {
            throw BackendError.missingEntryPoint(backend: tableName, name: "context_create")
        }
        var ctx: OpaquePointer?
        let status = create(Int32(clamping: threads), flags, &ctx)
        guard status == DLP_STATUS_OK, let ctx else {
            // a failed create may hand back a context that only carries the reason
            let reason = ctx.flatMap { failed in table.last_error.flatMap { $0(failed) } }.map { String(cString: $0) }
            if let ctx { table.context_destroy?(ctx) }
            throw BackendError.unavailable(
                device: tableName,
                reason: reason.flatMap { $0.isEmpty ? nil : $0 } ?? "context_create returned \(BackendError.statusName(Int32(status.rawValue)))")
        }
        self.table = table
        self.context = ctx
        self.name = tableName
        self.deviceDescription = table.device_description.flatMap { $0(ctx) }.map { String(cString: $0) } ?? tableName
        self.weightDTypes = Set(DType.allCases.filter { table.weight_dtypes & (UInt64(1) << UInt64($0.kernelType.rawValue)) != 0 })
    }

    deinit {
        table.context_destroy?(context)
    }

    func entry<F>(_ function: F?, _ entryName: String) throws -> F {
        guard let function else { throw BackendError.missingEntryPoint(backend: name, name: entryName) }
        return function
    }

    /// Runs one call on the context. A context is used by one thread at a time (like a device stream):
    /// calls from several threads are serialized here.
    func run(_ operation: String, _ call: () throws -> dlp_status) throws {
        lock.lock()
        defer { lock.unlock() }
        try check(try call(), operation)
    }

    func check(_ status: dlp_status, _ operation: String) throws {
        guard status != DLP_STATUS_OK else { return }
        let message = table.last_error.flatMap { $0(context) }.map { String(cString: $0) } ?? ""
        throw BackendError.operationFailed(backend: name, operation: operation,
                                           status: Int32(status.rawValue), message: message)
    }

    // MARK: buffers

    /// A zero-filled buffer of `bytes` bytes in the backend's memory.
    public func allocate(bytes: Int) throws -> DeviceBuffer {
        var buffer: OpaquePointer?
        try run("buffer_alloc(\(bytes) bytes)") { try entry(table.buffer_alloc, "buffer_alloc")(context, max(bytes, 0), &buffer) }
        guard let buffer else { throw BackendError.missingEntryPoint(backend: name, name: "buffer_alloc result") }
        return DeviceBuffer(backend: self, handle: buffer, bytes: bytes, hostOwner: nil)
    }

    /// A buffer over host memory that `owner` keeps alive: used in place on CPU, uploaded on devices.
    func buffer(overHost bytes: UnsafeRawBufferPointer, owner: AnyObject) throws -> DeviceBuffer {
        var buffer: OpaquePointer?
        try run("buffer_from_host(\(bytes.count) bytes)") { try entry(table.buffer_from_host, "buffer_from_host")(context, bytes.baseAddress, bytes.count, &buffer) }
        guard let buffer else { throw BackendError.missingEntryPoint(backend: name, name: "buffer_from_host result") }
        return DeviceBuffer(backend: self, handle: buffer, bytes: bytes.count, hostOwner: owner)
    }

    func upload(_ source: UnsafeRawBufferPointer, to buffer: DeviceBuffer, offset: Int = 0) throws {
        guard let base = source.baseAddress else { return }
        try run("buffer_upload") { try entry(table.buffer_upload, "buffer_upload")(context, buffer.handle, offset, base, source.count) }
    }

    func download(_ buffer: DeviceBuffer, offset: Int = 0, into destination: UnsafeMutableRawBufferPointer) throws {
        guard let base = destination.baseAddress else { return }
        try run("buffer_download") { try entry(table.buffer_download, "buffer_download")(context, buffer.handle, offset, base, destination.count) }
    }

    func address(of buffer: DeviceBuffer) -> UnsafeMutableRawPointer? {
        table.buffer_data?(buffer.handle)
    }

    /// Frees a buffer (under the lock: never in the middle of another thread's graph recording).
    func free(_ handle: OpaquePointer) {
        lock.lock()
        defer { lock.unlock() }
        table.buffer_free?(context, handle)
    }
}
