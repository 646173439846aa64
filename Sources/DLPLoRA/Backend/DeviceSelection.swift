// DeviceSelection.swift: `--device auto|cpu|cuda`. CUDA comes from the plugin libdlp_cuda.so, found
// through DLP_CUDA_LIBRARY, then next to the executable, then the build folder, and opened with dlopen;
// its table's API version must match. `auto` falls back to CPU and says why in one line.
import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which backend to run on.
public enum Device: String, Sendable, CaseIterable {
    case auto, cpu, cuda
}

extension KernelBackend {
    /// The backend for `device`. With `.auto`, a CUDA plugin that cannot be used gives the CPU backend and
    /// `note` receives the reason.
    public static func make(device: Device, threads: Int = 0, note: (String) -> Void = { _ in }) throws -> KernelBackend {
        switch device {
        case .cpu:
            return try cpu(threads: threads)
        case .cuda:
            return try cudaPlugin()
        case .auto:
            do {
                return try cudaPlugin()
            } catch BackendError.pluginNotFound {
                note("using CPU (no CUDA kernel plugin libdlp_cuda.so found; DLP_CUDA_LIBRARY names one)")
                return try cpu(threads: threads)
            } catch {
                note("using CPU: \(error)")
                return try cpu(threads: threads)
            }
        }
    }

    /// Places where libdlp_cuda.so is looked for, in order.
    static func pluginCandidates() -> [String] {
        var paths: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["DLP_CUDA_LIBRARY"], !explicit.isEmpty { paths.append(explicit) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        paths.append(executable.appendingPathComponent("libdlp_cuda.so").path)
        paths.append(FileManager.default.currentDirectoryPath + "/CKernels/cuda/build/libdlp_cuda.so")
        return paths
    }

    /// The CUDA backend from the first plugin file of `candidates` that exists.
    static func cudaPlugin(candidates: [String] = pluginCandidates()) throws -> KernelBackend {
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw BackendError.pluginNotFound(searched: candidates)
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw BackendError.unavailable(device: "cuda", reason: "cannot load \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, DLP_PLUGIN_ENTRY_SYMBOL) else {
            throw BackendError.unavailable(device: "cuda", reason: "\(path) does not export \(DLP_PLUGIN_ENTRY_SYMBOL)")
        }
        let getTable = unsafeBitCast(symbol, to: dlp_get_kernel_table_fn.self)
        guard let table = getTable() else {
            throw BackendError.unavailable(device: "cuda", reason: "\(path) returned no kernel table")
        }
        return try KernelBackend(table: table, threads: 0)
    }
}
