// MappedFile.swift: a read-only memory map of a whole file; weights are read in place from it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory for as long as this object lives.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LoadError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LoadError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw LoadError.cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw LoadError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Drops the whole pages inside `range` (bytes of this mapping) from memory.
    func releasePages(of range: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, let start = range.baseAddress, start >= base,
              start + range.count <= base + bytes.count else { return }
        releaseWholePages(Int(bitPattern: start), Int(bitPattern: start) + range.count)
    }

    /// Drops this mapping's pages from memory except those under `kept` (ranges of it still read in
    /// place), once copies have replaced the rest (row-interleaved weights): touched again, they are
    /// read back from the file.
    func releasePages(keeping kept: [UnsafeRawBufferPointer]) {
        guard let base = bytes.baseAddress else { return }
        let start = Int(bitPattern: base), end = start + bytes.count
        // kept ranges clipped to this mapping (a range of another file keeps nothing here)
        let clipped = kept.compactMap { r in r.baseAddress.map { (max(Int(bitPattern: $0), start), min(Int(bitPattern: $0) + r.count, end)) } }
            .filter { $0.0 < $0.1 }.sorted { $0.0 < $1.0 }
        var from = start
        for range in clipped {
            if range.0 > from { releaseWholePages(from, range.0) }
            from = max(from, range.1)
        }
        if end > from { releaseWholePages(from, end) }
    }

    /// madvise(DONTNEED) on the whole pages inside addresses [lower, upper): a partial page at either
    /// end (shared with bytes still in use) stays.
    private func releaseWholePages(_ lower: Int, _ upper: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (lower + page - 1) / page * page, last = upper / page * page
        guard last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, Int32(MADV_DONTNEED))
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
