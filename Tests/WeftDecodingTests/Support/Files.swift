#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small file helpers for tests that read committed fixtures (no Foundation in this package's tests).
enum Files {

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    /// Splits at `\n` as a framer does; a last line without newline is kept, a final empty remainder is not.
    static func lines(_ bytes: [UInt8]) -> (lines: [[UInt8]], endsWithNewline: Bool) {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let endsWithNewline = bytes.last == 0x0A
        if endsWithNewline || bytes.isEmpty { lines.removeLast() }
        return (lines, endsWithNewline)
    }
}
