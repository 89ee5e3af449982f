import Logging
import WeftCore
import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where batches the endpoint refused for good (a 4xx other than 429) are kept, one file each, as they were sent
/// (uncompressed): `<time>-<last sequence>.otlp.pb` or `.otlp.json`, ready to be posted again by hand once the cause
/// is fixed (`curl --data-binary @file -H 'Content-Type: application/x-protobuf' …/v1/logs`).
///
/// Bounded: past ``maxBytes`` the oldest files are removed, each counted and logged. Never silent: every batch kept
/// or removed is counted by the sender and the directory.
public final class DeadLetterDirectory: Sendable {
    public let path: String
    public let maxBytes: Int64
    private let state = Locked((files: [(name: String, size: Int64)](), total: Int64(0), evicted: 0))
    private let logger: Logger

    /// Creates the directory if needed and takes stock of what is in it.
    public init(path: String, maxBytes: Int64 = 64 << 20, logger: Logger) throws(OTLPError) {
        self.path = path
        self.maxBytes = maxBytes
        self.logger = logger
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw OTLPError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var files: [(name: String, size: Int64)] = []
        if let handle = opendir(path) {
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name.hasSuffix(".otlp.pb") || name.hasSuffix(".otlp.json") else { continue }
                var info = stat()
                if stat(path + "/" + name, &info) == 0 { files.append((name, Int64(info.st_size))) }
            }
            closedir(handle)
        }
        files.sort { $0.name < $1.name }
        let total = files.reduce(0) { $0 + $1.size }
        state.withLock { $0 = (files, total, 0) }
    }

    /// Files removed to stay within ``maxBytes``.
    public var evicted: Int { state.withLock { $0.evicted } }
    public var totalBytes: Int64 { state.withLock { $0.total } }

    /// Writes the batch; returns its path, or nil if it could not be written (logged).
    func keep(_ batch: ExportBatch, status: Int, encoding: OTLPEndpoint.Encoding) -> String? {
        let name =
            "\(SystemClock().now())-\(batch.lastSequence)-http\(status)"
            + (encoding == .protobuf ? ".otlp.pb" : ".otlp.json")
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            logger.error(
                "cannot keep a refused batch",
                metadata: ["path": "\(file)", "reason": "\(String(cString: strerror(errno)))"])
            return nil
        }
        let ok = batch.payload.withUnsafeBytes { writeAll(fd, $0).1 == nil } && fsync(fd) == 0
        close(fd)
        guard ok else {
            logger.error(
                "cannot keep a refused batch",
                metadata: ["path": "\(file)", "reason": "\(String(cString: strerror(errno)))"])
            unlink(file)
            return nil
        }
        var removed: [String] = []
        state.withLock { state in
            state.files.append((name, Int64(batch.payload.count)))
            state.total += Int64(batch.payload.count)
            while state.total > maxBytes, state.files.count > 1 {
                let oldest = state.files.removeFirst()
                state.total -= oldest.size
                state.evicted += 1
                removed.append(oldest.name)
            }
        }
        for name in removed {
            unlink(path + "/" + name)
            logger.warning(
                "dead-letter directory over its bound: removed its oldest batch",
                metadata: ["path": "\(path)", "max_bytes": "\(maxBytes)", "removed": "\(name)"])
        }
        return file
    }
}
