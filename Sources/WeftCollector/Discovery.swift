#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Expands the collector's globs into paths (`glob(3)`: `*`, `?`, `[…]` per path component; symlinks, as in
/// `/var/log/containers`, are followed when the files are opened).
enum Globs {
    static func expand(_ patterns: [String]) -> [String] {
        var paths: [String] = []
        var seen = Set<String>()
        for pattern in patterns {
            var result = glob_t()
            defer { globfree(&result) }
            guard glob(pattern, 0, nil, &result) == 0 else { continue }
            for index in 0..<Int(result.gl_pathc) {
                guard let raw = result.gl_pathv[index] else { continue }
                let path = String(cString: raw)
                // One glob gives each path once: a set of 100,000 paths for nothing was a tenth of a scan's memory.
                if patterns.count == 1 || seen.insert(path).inserted { paths.append(path) }
            }
        }
        return paths
    }

    /// The longest leading directory of `pattern` with no glob characters (watched for new entries).
    static func literalDirectory(of pattern: String) -> String {
        var directory = ""
        for component in pattern.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            if component.contains(where: { "*?[".contains($0) }) { break }
            directory += directory.isEmpty && pattern.hasPrefix("/") && component.isEmpty ? "/" : "\(component)/"
        }
        if directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        return directory.isEmpty ? "." : directory
    }
}

/// Prompt reaction to writes and new files through inotify on the directories that hold followed files (and the
/// literal directories of the globs). Without inotify (a file system or system that refuses it) the collector polls.
final class DirectoryWatcher {
    let fd: Int32
    private var watched: [String: Int32] = [:]

    init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Watches `directory` if it is not yet watched.
    func watch(_ directory: String) {
        guard watched[directory] == nil else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)
        let descriptor = inotify_add_watch(fd, directory, mask)
        if descriptor >= 0 { watched[directory] = descriptor }  // refused (the watch limit): polling covers it
    }

    /// Stops watching directories not in `keep`.
    func retain(_ keep: Set<String>) {
        for (directory, descriptor) in watched where !keep.contains(directory) {
            inotify_rm_watch(fd, descriptor)
            watched[directory] = nil
        }
    }

    /// Reads the pending events: whether any file was written, and whether an entry was created, moved or removed
    /// (a reason to scan the globs now).
    func drain() -> (written: Bool, structural: Bool) {
        var written = false
        var structural = false
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var offset = 0
            buffer.withUnsafeBytes { bytes in
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let nameLength = bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
                    if mask & UInt32(IN_MODIFY) != 0 { written = true }
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_Q_OVERFLOW) != 0 {
                        structural = true
                    }
                    offset += MemoryLayout<inotify_event>.size + Int(nameLength)
                }
            }
        }
        return (written, structural)
    }
}
