import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a byte stream into lines at `\n`, lending each line to a callback without copying it when it can.
///
/// Feed the framer the chunks you read, in order; it calls `emit` once per line. A line that lies entirely inside
/// one chunk is passed as a slice of that chunk (zero copy). The unterminated tail of a chunk is copied into a carry
/// buffer and completed by the next feed. Lines are passed without their `\n`; a `\r` before it is kept (the
/// decoding stage decides what it means).
///
/// A line longer than ``maxLineBytes`` is emitted once, with its first `maxLineBytes` bytes and
/// ``LineFlags/truncated``; the rest of it, up to its `\n`, is discarded and counted in ``truncatedLines``. Memory is
/// therefore bounded whatever the input: a 100 MB line costs at most `maxLineBytes` of carry.
///
/// ```swift
/// var framer = LineFramer(maxLineBytes: 1 << 20)
/// chunk.withUnsafeBytes { bytes in
///     framer.feed(bytes) { line, flags in print(line.count, flags) }
/// }
/// framer.finish { line, flags in print("last line without newline:", line.count) }
/// ```
///
/// - Important: the buffer passed to `emit` is valid only during that call; copy what you keep.
public struct LineFramer {
    /// The longest line passed on whole; longer lines are cut to this many bytes.
    public let maxLineBytes: Int
    /// How many lines were longer than ``maxLineBytes`` and were cut.
    public private(set) var truncatedLines: Int = 0
    /// The input offset just after the `\n` of the last complete line passed on: where a checkpoint may resume
    /// without skipping a line.
    ///
    /// A line cut at ``maxLineBytes`` is emitted as soon as it overflows, but this offset only moves past it once
    /// its `\n` is seen. ``finish(emit:)`` does not move it past an unterminated last line: the writer may still
    /// complete that line, so a checkpoint stays before it (at-least-once: a restart reads it again).
    public private(set) var consumedOffset: Int64
    /// The input offset just after the last byte fed.
    public private(set) var fedOffset: Int64

    /// The unterminated tail of the previous chunks (never more than `maxLineBytes` bytes).
    private(set) var carry: [UInt8] = []
    /// The current line overflowed and was emitted; its remaining bytes up to `\n` are skipped.
    private(set) var discarding = false

    /// Carry capacity kept between lines; a larger buffer (left by one long line) is released once it empties, so
    /// many idle framers do not each hold a megabyte.
    static let retainedCarryCapacity = 64 << 10

    /// Creates a framer.
    ///
    /// - Parameters:
    ///   - maxLineBytes: the longest line passed on whole (at least 1).
    ///   - startOffset: the input offset of the first byte that will be fed (a checkpoint being resumed).
    public init(maxLineBytes: Int = 1 << 20, startOffset: Int64 = 0) {
        precondition(maxLineBytes > 0, "maxLineBytes must be positive")
        self.maxLineBytes = maxLineBytes
        self.consumedOffset = startOffset
        self.fedOffset = startOffset
    }

    /// Bytes of an unterminated line waiting for the next feed (0 while discarding an overflowed line).
    public var pendingByteCount: Int { carry.count }

    /// Splits `bytes` at `\n` and passes every line it completes to `emit`.
    ///
    /// Lines entirely inside `bytes` point directly into `bytes`. A line begun by an earlier feed is completed from
    /// the carry buffer. The unterminated tail is kept for the next feed (or ``finish(emit:)``).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, LineFlags) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let end = bytes.count
        let chunkOffset = fedOffset
        fedOffset += Int64(end)
        var start = 0
        while start < end {
            guard let hit = memchr(base + start, 0x0A, end - start) else {
                takeTail(base + start, count: end - start, emit: emit)
                return
            }
            let newline = base.distance(to: UnsafeRawPointer(hit))
            let length = newline - start
            if discarding {
                discarding = false
            } else if carry.isEmpty {
                if length <= maxLineBytes {
                    emit(UnsafeRawBufferPointer(start: base + start, count: length), [])
                } else {
                    truncatedLines += 1
                    emit(UnsafeRawBufferPointer(start: base + start, count: maxLineBytes), .truncated)
                }
            } else {
                let room = maxLineBytes - carry.count
                if length <= room {
                    appendToCarry(base + start, count: length)
                    carry.withUnsafeBytes { emit($0, []) }
                } else {
                    appendToCarry(base + start, count: room)
                    truncatedLines += 1
                    carry.withUnsafeBytes { emit($0, .truncated) }
                }
                emptyCarry()
            }
            start = newline + 1
            consumedOffset = chunkOffset + Int64(start)
        }
    }

    /// Ends the input: passes the carried unterminated last line, if any (a file that does not end with `\n`).
    ///
    /// The framer is empty afterwards and may be fed again. ``consumedOffset`` is not moved past the emitted line.
    public mutating func finish(emit: (UnsafeRawBufferPointer, LineFlags) -> Void) {
        if !carry.isEmpty {
            carry.withUnsafeBytes { emit($0, []) }
        }
        carry = []
        discarding = false
    }

    /// Keeps an unterminated tail, or emits it at once, cut, if the line already exceeds the bound.
    private mutating func takeTail(
        _ pointer: UnsafeRawPointer, count: Int, emit: (UnsafeRawBufferPointer, LineFlags) -> Void
    ) {
        if discarding { return }
        let room = maxLineBytes - carry.count
        if count <= room {
            appendToCarry(pointer, count: count)
            return
        }
        if carry.isEmpty {
            emit(UnsafeRawBufferPointer(start: pointer, count: maxLineBytes), .truncated)
        } else {
            appendToCarry(pointer, count: room)
            carry.withUnsafeBytes { emit($0, .truncated) }
            emptyCarry()
        }
        truncatedLines += 1
        discarding = true
    }

    /// Appends to the carry without letting its capacity grow past `maxLineBytes` (array growth would double it).
    private mutating func appendToCarry(_ pointer: UnsafeRawPointer, count: Int) {
        let needed = carry.count + count
        if needed > carry.capacity {
            carry.reserveCapacity(Swift.min(Swift.max(needed, carry.capacity * 2), maxLineBytes))
        }
        carry.append(contentsOf: UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count))
    }

    private mutating func emptyCarry() {
        if carry.capacity > Self.retainedCarryCapacity {
            carry = []
        } else {
            carry.removeAll(keepingCapacity: true)
        }
    }
}
