// MappedFileTests.swift: releasing a mapped file's pages once copies replaced them (row-interleaved
// weights): the released pages leave this process's memory, the kept ranges and their edge pages stay.
// Residency is read from /proc/self/pagemap (bit 63 of a page's entry: present).
import Foundation
import Testing
@testable import DLPLoRA

@Suite(.enabled(if: FileManager.default.isReadableFile(atPath: "/proc/self/pagemap"), "needs /proc/self/pagemap"))
struct MappedFileTests {
    static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether each page of `bytes` (page-aligned) is mapped in memory now.
    static func present(_ bytes: UnsafeRawBufferPointer) throws -> [Bool] {
        let first = Int(bitPattern: bytes.baseAddress!) / page, count = bytes.count / page
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/pagemap"))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(first * 8))
        let data = try #require(try handle.read(upToCount: count * 8))
        return (0..<count).map { i in data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) } >> 63 == 1 }
    }

    @Test func releasedPagesLeaveAndKeptRangesStay() throws {
        let pages = 64, page = Self.page
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mapped-\(UUID().uuidString).bin").path
        try Data((0..<(pages * page)).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try MappedFile(path: path)
        var sum = 0
        for i in stride(from: 0, to: file.bytes.count, by: page) { sum &+= Int(file.bytes[i]) }   // touch every page
        #expect(try Self.present(file.bytes).allSatisfy { $0 }, "every page mapped after reading it (\(sum))")

        // one tensor's range: whole pages inside it go, its partial edge pages stay
        file.releasePages(of: UnsafeRawBufferPointer(rebasing: file.bytes[(2 * page + 100)..<(6 * page + 50)]))
        var state = try Self.present(file.bytes)
        #expect(state[2] && state[6] && !state[3] && !state[4] && !state[5] && state[1] && state[7])

        // everything but a kept range (pages 20 ..< 30 and part of page 40): the rest goes
        for i in stride(from: 0, to: file.bytes.count, by: page) { sum &+= Int(file.bytes[i]) }
        let kept = [UnsafeRawBufferPointer(rebasing: file.bytes[(20 * page)..<(30 * page)]),
                    UnsafeRawBufferPointer(rebasing: file.bytes[(40 * page + 10)..<(40 * page + 20)])]
        file.releasePages(keeping: kept)
        state = try Self.present(file.bytes)
        #expect((20..<30).allSatisfy { state[$0] } && state[40], "kept pages stay")
        #expect((0..<20).allSatisfy { !state[$0] } && (30..<40).allSatisfy { !state[$0] } && (41..<pages).allSatisfy { !state[$0] },
                "the rest is released")
        // the data is still the file's when read again
        #expect(file.bytes[5 * page + 3] == UInt8(truncatingIfNeeded: (5 * page + 3) &* 7))
    }
}
