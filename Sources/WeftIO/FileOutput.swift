import WeftCore
import WeftOutput

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The JSON-lines output to a file descriptor (standard output, a file): encodes records into one reused buffer and
/// writes it in large blocking writes.
///
/// Records accumulate until the buffer holds ``threshold`` bytes, then go out in one `write(2)` loop (partial writes
/// continued, `EINTR` retried, `EAGAIN` on a non-blocking descriptor waited out with `poll(2)`). The writes block
/// when the reader is slow, and that is the backpressure: the caller stops reading its inputs until they return.
///
/// Once bytes are written, the records in them are acknowledged through the ``WeftCore/Acknowledgements`` given at
/// creation (written is as durable as a file or pipe gets without `fsync`; the kernel has them).
///
/// ```swift
/// let acks = Acknowledgements()
/// var output = FileOutput(fd: STDOUT_FILENO, name: "stdout", acknowledgements: acks)
/// try pipeline.feed(bytes, from: source, now: now, into: &output)
/// try output.flush()   // acks.acknowledged == pipeline.lastSequence
/// ```
///
/// - Important: call ``flush()`` before exiting: records still in the buffer have not been written. Writing to a
///   closed pipe raises `SIGPIPE`, which ends the process unless the program ignores it; ignored, the write fails
///   with `EPIPE` (``WriteError/isBrokenPipe``).
public struct FileOutput: RecordOutput {
    /// The descriptor written to; owned by the caller.
    public private(set) var fd: Int32
    /// What to call the destination in errors (`stdout`, a path).
    public let name: String
    /// Buffered bytes that trigger a write.
    public let threshold: Int
    private var encoder: JSONLinesEncoder
    private var buffer: RawBuffer
    private var sources = SourceTable()
    private let acknowledgements: Acknowledgements?
    /// The sequence of the last record encoded into the buffer.
    private var lastEncoded: UInt64 = 0
    /// Bytes written to the descriptor so far.
    public private(set) var bytesWritten: Int64 = 0
    /// Time spent in `write(2)` (monotonic nanoseconds): with a slow reader, the time reading was paused for it.
    public private(set) var writeNanoseconds: Int64 = 0

    /// Creates an output.
    ///
    /// - Parameters:
    ///   - fd: an open descriptor; it stays owned by the caller.
    ///   - name: what to call it in errors.
    ///   - format: the record encoding.
    ///   - threshold: buffered bytes that trigger a write.
    ///   - acknowledgements: told which records are written, if given.
    public init(
        fd: Int32, name: String, format: OutputFormat = .json, threshold: Int = 64 << 10,
        acknowledgements: Acknowledgements? = nil
    ) {
        precondition(threshold > 0, "threshold must be positive")
        self.fd = fd
        self.name = name
        self.threshold = threshold
        self.encoder = JSONLinesEncoder(format: format)
        self.buffer = RawBuffer(capacity: threshold * 2)
        self.acknowledgements = acknowledgements
    }

    /// Writes what is buffered to the current descriptor, then writes to `fd` from now on (`--output PATH` reopened
    /// on SIGHUP after a log rotation). The caller closes the old descriptor.
    public mutating func replaceDescriptor(with fd: Int32) throws(WriteError) {
        try flush()
        self.fd = fd
    }

    /// Bytes encoded but not yet written.
    public var bufferedByteCount: Int { buffer.count }
    /// Bytes the encoder's cache of source descriptions holds.
    public var cachedBytes: Int { encoder.cachedBytes }
    /// Sources currently described.
    public var describedSourceCount: Int { sources.count }

    public mutating func describe(_ source: SourceID, as info: SourceInfo) {
        sources.set(source, info)
    }

    public mutating func release(_ source: SourceID) {
        sources.remove(source)
        encoder.forget(source)
    }

    /// Encodes `record` into the buffer, and writes the buffer out if it reached ``threshold``.
    ///
    /// - Throws: ``WriteError`` if that write fails; the record is in the buffer either way.
    public mutating func write(_ record: Record) throws(WriteError) {
        buffer.makeUnique()
        encoder.encode(record, source: sources[record.source], into: &buffer)
        lastEncoded = record.sequence
        if buffer.count >= threshold && !writesOnlyOnFlush { try flush() }
    }

    /// Write only in ``flush()``, never from ``write(_:)`` (the collector: what one round encodes is bounded, and an
    /// interrupted flush then never leaves the engine half way through a record).
    public var writesOnlyOnFlush = false
    /// A descriptor that, once readable, interrupts a flush waiting for the output (the signal descriptor: SIGTERM
    /// must stop a collector whose reader went away). An interrupted flush throws `EINTR` and keeps what it did not
    /// write; the next flush goes on from there.
    public var interruption: Int32?
    /// A ``MonotonicClock`` time past which a waiting flush gives up with `ETIMEDOUT` (shutdown's bound).
    public var deadline: Int64?
    /// Beaten at least once a second while a flush waits for a slow reader: waiting is being alive.
    public var heartbeat: Heartbeat?
    /// Set when several outputs write to one descriptor (one per source block of a configuration file), each with
    /// its own ``SharedDescriptor/Slot``: while one of them has written part of its buffer (a flush cut short), the
    /// others hold theirs back, so that no record is interleaved into another.
    public var sharing: SharedDescriptor.Slot?
    /// A flush was cut short after writing part of the buffer: the buffer starts in the middle of a record.
    public private(set) var isMidRecord = false

    /// Writes every buffered byte, blocking until the descriptor has taken them all, then acknowledges the records.
    ///
    /// - Throws: ``WriteError`` with the `errno` of the failed write. Bytes written before the failure are gone from
    ///   the buffer; the rest stay in it, and nothing more is acknowledged.
    public mutating func flush() throws(WriteError) {
        if buffer.isEmpty { return }
        if let sharing, !sharing.mayWrite { return }  // another output's record is half written: it goes first
        let started = MonotonicClock.now()
        let (written, failure) =
            interruption == nil && deadline == nil && heartbeat == nil
            ? writeAll(fd, buffer.bytes)
            : writeWaiting(fd, buffer.bytes, interruption: interruption, deadline: deadline, heartbeat: heartbeat)
        writeNanoseconds += MonotonicClock.now() - started
        bytesWritten += Int64(written)
        if let failure {
            if written > 0 { isMidRecord = true }
            if isMidRecord { sharing?.holdUntilFinished() }
            buffer.removeFirst(written)
            let error = WriteError(errno: failure, name: name)
            if !error.isInterruption { acknowledgements?.fail(error) }
            throw error
        }
        if isMidRecord {
            isMidRecord = false
            sharing?.finished()
        }
        // One huge record may have grown the buffer: give that memory back.
        buffer.removeAll(maxRetainedCapacity: Swift.max(threshold * 4, 1 << 20))
        acknowledgements?.acknowledge(through: lastEncoded)
    }
}

/// Writes all of `bytes` as ``writeAll(_:_:)`` does, but waits for room with `poll(2)` beside `interruption` and
/// until `deadline`, and never writes more to a pipe than it has room for, so that no `write(2)` blocks: returns
/// `EINTR` when `interruption` became readable, `ETIMEDOUT` at the deadline. Beats `heartbeat` at least once a second.
private func writeWaiting(
    _ fd: Int32, _ bytes: UnsafeRawBufferPointer, interruption: Int32?, deadline: Int64?, heartbeat: Heartbeat?
) -> (Int, Int32?) {
    guard let base = bytes.baseAddress else { return (0, nil) }
    var info = stat()
    let isPipe = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
    var offset = 0
    while offset < bytes.count {
        var watched = [
            pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
            pollfd(fd: interruption ?? -1, events: Int16(POLLIN), revents: 0),
        ]
        var timeout: Int32 = -1
        if let deadline {
            let remaining = deadline - MonotonicClock.now()
            if remaining <= 0 { return (offset, ETIMEDOUT) }
            timeout = Int32(clamping: (remaining + 999_999) / 1_000_000)
        }
        if let heartbeat {
            heartbeat.beat()
            timeout = timeout < 0 ? 1000 : min(timeout, 1000)
        }
        let ready = poll(&watched, 2, timeout)
        if ready < 0 {
            if errno == EINTR { continue }
            return (offset, errno)
        }
        if ready == 0 { continue }  // the deadline is checked at the top
        if watched[1].revents & Int16(POLLIN) != 0 { return (offset, EINTR) }
        guard watched[0].revents != 0 else { continue }
        var count = bytes.count - offset
        if isPipe {
            // F_GETPIPE_SZ and FIONREAD: what the pipe holds and can hold; write no more than the room left.
            let capacity = fcntl(fd, 1032)
            var queued: Int32 = 0
            if capacity > 0, ioctl(fd, 0x541B, &queued) == 0 { count = min(count, max(Int(capacity - queued), 1)) }
        }
        let written = write(fd, base + offset, count)
        if written > 0 {
            offset += written
        } else if written < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK {
            return (offset, errno)
        }
    }
    return (offset, nil)
}

/// Writes all of `bytes` to `fd` (partial writes continued, `EINTR` retried, a full non-blocking descriptor waited
/// for); returns how many were written and the `errno` that stopped it, if any.
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> (Int, Int32?) {
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
public struct WriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var name: String

    public init(errno: Int32, name: String) {
        self.errno = errno
        self.name = name
    }

    /// The reader went away (`EPIPE`): a normal end for `weft … | head`.
    public var isBrokenPipe: Bool { errno == EPIPE }

    /// A waiting flush was interrupted (``FileOutput/interruption``) or ran out of time (``FileOutput/deadline``):
    /// not a failure of the output; what was not written is still buffered.
    public var isInterruption: Bool { errno == EINTR || errno == ETIMEDOUT }

    public var description: String {
        "cannot write to \(name): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// One descriptor written by several ``FileOutput``s in turn (on one thread): which of them, if any, has left a
/// record half written.
public final class SharedDescriptor: Sendable {
    private let holder = Locked<Int?>(nil)
    private let slots = Locked(0)

    public init() {}

    /// A new writer's place.
    public func slot() -> Slot {
        Slot(
            shared: self,
            id: slots.withLock {
                $0 += 1; return $0
            })
    }

    public struct Slot: Sendable {
        let shared: SharedDescriptor
        let id: Int

        /// No other writer has a record half written.
        var mayWrite: Bool { shared.holder.withLock { $0 == nil || $0 == id } }
        func holdUntilFinished() { shared.holder.withLock { $0 = id } }
        func finished() { shared.holder.withLock { if $0 == id { $0 = nil } } }
        /// This writer has a record half written and must finish it before the others write.
        public var isHolding: Bool { shared.holder.withLock { $0 == id } }
    }
}
