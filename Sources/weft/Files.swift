import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum RunError: Error, CustomStringConvertible {
    case read(path: String, errno: Int32)

    var description: String {
        switch self {
        case .read(let path, let code): "cannot read \(path): \(String(cString: strerror(code)))"
        }
    }
}

func writeStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

func currentUTCYear() -> Int {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    return Int(parts.tm_year) + 1900
}

/// Reads a whole (small) file: rule files, samples, expectations.
func readFileBytes(_ path: String) throws -> [UInt8] {
    var reader = try FileDescriptorReader.open(path, bufferSize: 64 << 10)
    defer { reader.close() }
    var bytes: [UInt8] = []
    while try reader.readChunk({ bytes.append(contentsOf: $0) }) > 0 {}
    return bytes
}

/// Reads a whole (small) text file.
func readTextFile(_ path: String) throws -> String {
    String(decoding: try readFileBytes(path), as: UTF8.self)
}
