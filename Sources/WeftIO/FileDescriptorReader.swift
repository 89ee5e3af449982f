import WeftCore
import WeftFraming

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file descriptor in large chunks into one reused buffer and lends each chunk to the caller (the pipeline, or
/// a ``WeftFraming/LineFramer``).
///
/// One `read(2)` per call, retried on `EINTR`; no polling and no timeouts (the pipeline owns those). The reader does
/// not close the descriptor on its own: whoever opened it calls ``close()`` (or closes it itself).
///
/// ```swift
/// var reader = try FileDescriptorReader.open("/var/log/app.log")
/// defer { reader.close() }
/// var framer = LineFramer()
/// while try reader.read(into: &framer, emit: { line, flags in handle(line, flags) }) > 0 {}
/// framer.finish { line, flags in handle(line, flags) }
/// ```
public struct FileDescriptorReader {
    /// The descriptor read from.
    public let fd: Int32
    /// The path it was opened from (or a name such as `-` for standard input), for error messages.
    public let path: String
    private var buffer: [UInt8]

    /// Wraps an open descriptor.
    ///
    /// - Parameters:
    ///   - fd: an open descriptor; it stays owned by the caller.
    ///   - path: what to call it in errors.
    ///   - bufferSize: bytes asked for per `read(2)` (the buffer is allocated once, here).
    public init(fd: Int32, path: String, bufferSize: Int = 256 << 10) {
        precondition(bufferSize > 0, "bufferSize must be positive")
        self.fd = fd
        self.path = path
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// Opens `path` read-only (close-on-exec) and wraps the descriptor.
    public static func open(_ path: String, bufferSize: Int = 256 << 10) throws(ReadError) -> FileDescriptorReader {
        while true {
            let fd = systemOpen(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return FileDescriptorReader(fd: fd, path: path, bufferSize: bufferSize) }
            let code = errno
            if code != EINTR { throw ReadError(operation: .open, errno: code, path: path) }
        }
    }

    /// When the descriptor is a pipe, asks for a 1 MiB pipe buffer (Linux's limit for unprivileged processes): the
    /// writer (`kubectl logs`, `cat`) then fills it in fewer, larger steps, and each read returns a whole chunk
    /// instead of the default buffer's 64 KiB. Anything else (a file, a terminal, another system) is left alone.
    ///
    /// - Returns: the pipe's buffer size afterwards, or nil if the descriptor is not a pipe (or the system has no
    ///   such setting).
    @discardableResult
    public func growPipeBuffer() -> Int? {
        #if os(Linux)
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFIFO else { return nil }
            // F_SETPIPE_SZ and F_GETPIPE_SZ (fcntl.h with _GNU_SOURCE, not imported into Swift).
            let setPipeSize: Int32 = 1031
            let getPipeSize: Int32 = 1032
            _ = fcntl(fd, setPipeSize, Int32(Self.pipeBufferSize))
            let size = fcntl(fd, getPipeSize)
            return size > 0 ? Int(size) : nil
        #else
            return nil
        #endif
    }

    /// What ``growPipeBuffer()`` asks for.
    public static let pipeBufferSize = 1 << 20

    /// Reads once and feeds what was read to `framer`, which passes each completed line to `emit`.
    ///
    /// - Returns: the number of bytes read; 0 at end of file.
    /// - Throws: ``ReadError`` with the `errno` of a failed `read(2)`. On a non-blocking descriptor with nothing to
    ///   read that is `EAGAIN` (see ``ReadError/isWouldBlock``): wait for readability and call again.
    @discardableResult
    public mutating func read(
        into framer: inout LineFramer, emit: (UnsafeRawBufferPointer, LineFlags) -> Void
    ) throws(ReadError) -> Int {
        try readChunk { framer.feed($0, emit: emit) }
    }

    /// Reads once and lends the bytes read to `body` (for callers that frame per source themselves, such as the
    /// pipeline). The bytes are valid only during the call.
    ///
    /// - Returns: the number of bytes read; 0 at end of file (`body` is not called then).
    @discardableResult
    public mutating func readChunk(_ body: (UnsafeRawBufferPointer) -> Void) throws(ReadError) -> Int {
        let fd = self.fd
        let result = buffer.withUnsafeMutableBytes { chunk -> Int in
            while true {
                let count = systemRead(fd, chunk.baseAddress, chunk.count)
                if count > 0 { body(UnsafeRawBufferPointer(rebasing: chunk[..<count])) }
                if count >= 0 { return count }
                let code = errno
                if code != EINTR { return -Int(code) }
            }
        }
        if result < 0 { throw ReadError(operation: .read, errno: Int32(-result), path: path) }
        return result
    }

    /// Closes the descriptor. Call once, on one copy of the reader.
    public func close() {
        _ = systemClose(fd)
    }
}

/// A failed `open(2)` or `read(2)` on an input, with the `errno` and the path.
public struct ReadError: Error, Equatable, CustomStringConvertible {
    public enum Operation: String, Sendable {
        case open, read
    }

    public var operation: Operation
    public var errno: Int32
    public var path: String

    public init(operation: Operation, errno: Int32, path: String) {
        self.operation = operation
        self.errno = errno
        self.path = path
    }

    /// A non-blocking descriptor had nothing to read; not a failure.
    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }

    public var description: String {
        "cannot \(operation.rawValue) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

// The system calls under names that do not collide with the reader's own methods.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
