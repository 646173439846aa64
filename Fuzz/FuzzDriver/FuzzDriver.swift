// FuzzDriver.swift: runs libFuzzer's driver (libclang_rt.fuzzer) from a fuzz target's own main: SwiftPM
// gives an executable target an entry point of its own, so the runtime's main is not the one linked.
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// Fuzzes `callback` (one input's bytes; return 0) with the command line's libFuzzer options; exits
/// with libFuzzer's status.
public func runLibFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, callback))
}
