import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Encodes records into one reused buffer and writes it to a file descriptor in large blocking writes.
///
/// Records accumulate until the buffer holds ``threshold`` bytes, then go out in one `write(2)` loop (partial writes
/// continued, `EINTR` retried, `EAGAIN` on a non-blocking descriptor waited out with `poll(2)`). The writes block
/// when the reader is slow, and that is the backpressure: the caller stops reading its inputs until they return.
///
/// ```swift
/// var writer = OutputWriter(fd: STDOUT_FILENO, name: "stdout")
/// try writer.write(record, source: sources[record.source])
/// try writer.flush()
/// ```
///
/// - Important: call ``flush()`` before exiting and before advancing a checkpoint: records still in the buffer have
///   not been accepted by the output. Writing to a closed pipe raises `SIGPIPE`, which ends the process unless the
///   program ignores it; ignored, the write fails with `EPIPE` (``WriteError/isBrokenPipe``).
public struct OutputWriter {
    /// The descriptor written to; owned by the caller.
    public let fd: Int32
    /// What to call the destination in errors (`stdout`, a path).
    public let name: String
    /// Buffered bytes that trigger a write.
    public let threshold: Int
    private var encoder: JSONLinesEncoder
    private var buffer: RawBuffer
    /// Bytes written to the descriptor so far.
    public private(set) var bytesWritten: Int64 = 0

    /// Creates a writer.
    ///
    /// - Parameters:
    ///   - fd: an open descriptor; it stays owned by the caller.
    ///   - name: what to call it in errors.
    ///   - format: the record encoding.
    ///   - threshold: buffered bytes that trigger a write.
    public init(fd: Int32, name: String, format: OutputFormat = .json, threshold: Int = 64 << 10) {
        precondition(threshold > 0, "threshold must be positive")
        self.fd = fd
        self.name = name
        self.threshold = threshold
        self.encoder = JSONLinesEncoder(format: format)
        self.buffer = RawBuffer(capacity: threshold * 2)
    }

    /// Bytes encoded but not yet written.
    public var bufferedByteCount: Int { buffer.count }

    /// Encodes `record` into the buffer, and writes the buffer out if it reached ``threshold``.
    ///
    /// - Throws: ``WriteError`` if that write fails; the record is in the buffer either way.
    public mutating func write(_ record: Record, source: SourceInfo) throws(WriteError) {
        buffer.makeUnique()
        encoder.encode(record, source: source, into: &buffer)
        if buffer.count >= threshold { try flush() }
    }

    /// Writes every buffered byte, blocking until the descriptor has taken them all.
    ///
    /// - Throws: ``WriteError`` with the `errno` of the failed write. Bytes written before the failure are gone from
    ///   the buffer; the rest stay in it.
    public mutating func flush() throws(WriteError) {
        if buffer.isEmpty { return }
        let (written, failure) = writeAll(fd, buffer.bytes)
        bytesWritten += Int64(written)
        if let failure {
            buffer.removeFirst(written)
            throw WriteError(errno: failure, name: name)
        }
        // One huge record may have grown the buffer: give that memory back.
        buffer.removeAll(maxRetainedCapacity: Swift.max(threshold * 4, 1 << 20))
    }
}

/// Writes all of `bytes`; returns how many were written and the `errno` that stopped it, if any.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> (Int, Int32?) {
    guard let base = bytes.baseAddress else { return (0, nil) }
    var offset = 0
    while offset < bytes.count {
        let count = write(fd, base + offset, bytes.count - offset)
        if count > 0 {
            offset += count
            continue
        }
        if count == 0 { return (offset, EIO) }  // not expected for a non-empty write; do not spin on it
        let code = errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            // A non-blocking descriptor is full: wait until it drains, as a blocking write would.
            var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pending, 1, -1)
        default:
            return (offset, code)
        }
    }
    return (offset, nil)
}

/// A failed `write(2)` on an output, with the `errno` and the destination's name.
public struct WriteError: Error, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var name: String

    public init(errno: Int32, name: String) {
        self.errno = errno
        self.name = name
    }

    /// The reader went away (`EPIPE`): a normal end for `weft … | head`.
    public var isBrokenPipe: Bool { errno == EPIPE }

    public var description: String {
        "cannot write to \(name): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
