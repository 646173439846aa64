// StackGuard.swift: how much of the current thread's stack is left. The parser and the renderer recurse
// on a template's nesting; besides their depth bounds they stop with an error while a safe margin of
// stack remains, whatever the thread's stack size (8 MB on a main thread, 512 KB on some others).
import CKernels
import Foundation

struct StackGuard {
    /// The lowest address the stack may reach before the guard refuses to go deeper.
    private let floor: UInt

    /// Stack kept free below the deepest frame the guard allows: room for the frames between two
    /// checks (a filter call in a debug build takes tens of kilobytes).
    static let margin: UInt = 192 * 1024

    init() {
        floor = StackGuard.stackLowestAddress().map { $0 + StackGuard.margin } ?? 0
    }

    /// Whether the caller may recurse further.
    @inline(__always)
    var hasRoom: Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } > floor
    }

    private static func stackLowestAddress() -> UInt? {
        let lowest = dlp_thread_stack_lowest_address()
        return lowest == 0 ? nil : UInt(lowest)
    }
}
