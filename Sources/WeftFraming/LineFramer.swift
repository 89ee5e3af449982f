import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One line found by a ``LineFramer``: its bytes (without the `\n`), its flags, and where it lies in the input.
@frozen
public struct FramedLine {
    /// Valid until the framer is next used (it may point into the caller's chunk or the framer's carry buffer).
    public var text: UnsafeRawBufferPointer
    public var flags: LineFlags
    /// From the line's first byte to just after its `\n` (a cut line: to the last byte read when it was cut; the
    /// unterminated last line at ``LineFramer/finish(emit:)``: to the last byte fed).
    public var range: ByteRange

    @inlinable
    init(text: UnsafeRawBufferPointer, flags: LineFlags, range: ByteRange) {
        self.text = text
        self.flags = flags
        self.range = range
    }
}

/// Splits a byte stream into lines at `\n`, lending each line without copying it when it can.
///
/// Hand the framer the chunks you read, in order, and take the lines out with ``next(in:from:)`` (or let
/// ``feed(_:emit:)`` call a closure per line). A line that lies entirely inside one chunk is passed as a slice of
/// that chunk (zero copy). The unterminated tail of a chunk is copied into a carry buffer and completed by the next
/// chunk. Lines are passed without their `\n`; a `\r` before it is kept (the decoding stage decides what it means).
/// Every line carries its byte range in the input, counted from `startOffset`.
///
/// A line longer than ``maxLineBytes`` is passed once, with its first `maxLineBytes` bytes and
/// ``LineFlags/truncated``; the rest of it, up to its `\n`, is discarded and counted in ``truncatedLines``. Memory is
/// therefore bounded whatever the input: a 100 MB line costs at most `maxLineBytes` of carry.
///
/// ```swift
/// var framer = LineFramer(maxLineBytes: 1 << 20)
/// chunk.withUnsafeBytes { bytes in
///     var position = 0
///     while let line = framer.next(in: bytes, from: &position) { print(line.text.count, line.range) }
/// }
/// framer.finish { line, flags in print("last line without newline:", line.count) }
/// ```
///
/// - Important: a line's bytes are valid only until the framer is used again; copy what you keep.
public struct LineFramer {
    /// The longest line passed on whole; longer lines are cut to this many bytes.
    public let maxLineBytes: Int
    /// How many lines were longer than ``maxLineBytes`` and were cut.
    public var truncatedLines: Int { _truncatedLines }
    @usableFromInline var _truncatedLines = 0
    /// The input offset just after the `\n` of the last complete line passed on: where a checkpoint may resume
    /// without skipping a line.
    ///
    /// A line cut at ``maxLineBytes`` is passed on as soon as it overflows, but this offset only moves past it once
    /// its `\n` is seen. ``finish(emit:)`` does not move it past an unterminated last line: the writer may still
    /// complete that line, so a checkpoint stays before it (at-least-once: a restart reads it again).
    public var consumedOffset: Int64 { _consumedOffset }
    @usableFromInline var _consumedOffset: Int64
    /// The input offset just after the last byte fed.
    public var fedOffset: Int64 { _fedOffset }
    @usableFromInline var _fedOffset: Int64

    /// The unterminated tail of the previous chunks (never more than `maxLineBytes` bytes). A `RawBuffer`, so a
    /// line lent from it stays where it is until the framer is used again.
    @usableFromInline var carry: RawBuffer
    /// The input offset of the carry's first byte.
    @usableFromInline var carryStart: Int64 = 0
    /// The current line overflowed and was passed on; its remaining bytes up to `\n` are skipped.
    @usableFromInline var discarding = false
    /// The input offset of the current chunk's first byte.
    @usableFromInline var chunkOffset: Int64 = 0

    /// Carry capacity kept between lines; a larger buffer (left by one long line) is released once it empties, so
    /// many idle framers do not each hold a megabyte.
    static let retainedCarryCapacity = 64 << 10
    static let initialCarryCapacity = 256

    /// Creates a framer.
    ///
    /// - Parameters:
    ///   - maxLineBytes: the longest line passed on whole (at least 1).
    ///   - startOffset: the input offset of the first byte that will be fed (a checkpoint being resumed).
    public init(maxLineBytes: Int = 1 << 20, startOffset: Int64 = 0) {
        precondition(maxLineBytes > 0, "maxLineBytes must be positive")
        self.maxLineBytes = maxLineBytes
        self._consumedOffset = startOffset
        self._fedOffset = startOffset
        self.carry = RawBuffer(capacity: Self.initialCarryCapacity)
    }

    /// Bytes of an unterminated line waiting for the next chunk (0 while discarding an overflowed line).
    public var pendingByteCount: Int { pendingRelease ? 0 : carry.count }

    /// The next line that `bytes` completes, or nil once the chunk is used up (its unterminated tail kept).
    ///
    /// Pass each chunk with `position` starting at 0 and call until nil; the framer moves `position` on. Lines
    /// entirely inside `bytes` point directly into `bytes`; a line begun by an earlier chunk is completed in the
    /// carry buffer.
    @inlinable @inline(__always)
    public mutating func next(in bytes: UnsafeRawBufferPointer, from position: inout Int) -> FramedLine? {
        releaseIfLent()
        guard let base = bytes.baseAddress else { return nil }
        let end = bytes.count
        if position == 0 {
            if end == 0 { return nil }
            chunkOffset = fedOffset
            _fedOffset += Int64(end)
        }
        while position < end {
            let start = position
            guard let hit = memchr(base + start, 0x0A, end - start) else {
                position = end
                return takeTail(base + start, count: end - start)
            }
            let newline = base.distance(to: UnsafeRawPointer(hit))
            let length = newline - start
            position = newline + 1
            let lineEnd = chunkOffset + Int64(position)
            _consumedOffset = lineEnd
            if discarding {
                discarding = false
                continue
            }
            if carry.isEmpty {
                let range = ByteRange(start: chunkOffset + Int64(start), end: lineEnd)
                if length <= maxLineBytes {
                    return FramedLine(
                        text: UnsafeRawBufferPointer(start: base + start, count: length), flags: [], range: range)
                }
                _truncatedLines += 1
                return FramedLine(
                    text: UnsafeRawBufferPointer(start: base + start, count: maxLineBytes), flags: .truncated,
                    range: range)
            }
            return completeCarry(base + start, count: length, end: lineEnd)
        }
        return nil
    }

    /// Splits `bytes` at `\n` and passes every line it completes to `emit` (``next(in:from:)`` in a loop).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, LineFlags) -> Void) {
        var position = 0
        while let line = next(in: bytes, from: &position) { emit(line.text, line.flags) }
    }

    /// Ends the input: passes the carried unterminated last line, if any (a file that does not end with `\n`).
    ///
    /// The framer is empty afterwards and may be fed again. ``consumedOffset`` is not moved past the emitted line.
    public mutating func finish(emit: (UnsafeRawBufferPointer, LineFlags) -> Void) {
        if let line = finish() { emit(line.text, line.flags) }
    }

    /// Ends the input and returns the carried unterminated last line, if any, valid until the framer is next used.
    public mutating func finish() -> FramedLine? {
        releaseIfLent()
        discarding = false
        guard !carry.isEmpty else { return nil }
        let line = FramedLine(text: carry.bytes, flags: [], range: ByteRange(start: carryStart, end: fedOffset))
        pendingRelease = true
        return line
    }

    /// The carry is released on the next use after ``finish()`` lent it out.
    @usableFromInline var pendingRelease = false

    /// Completes the carried line with `count` bytes of a chunk (up to its `\n`).
    @usableFromInline
    mutating func completeCarry(_ pointer: UnsafeRawPointer, count: Int, end: Int64) -> FramedLine {
        let room = maxLineBytes - carry.count
        var flags: LineFlags = []
        if count <= room {
            appendToCarry(pointer, count: count)
        } else {
            appendToCarry(pointer, count: room)
            _truncatedLines += 1
            flags = .truncated
        }
        pendingRelease = true  // emptied on the next call, once the caller is done with the line
        return FramedLine(text: carry.bytes, flags: flags, range: ByteRange(start: carryStart, end: end))
    }

    /// Keeps an unterminated tail, or passes it at once, cut, if the line already exceeds the bound.
    @usableFromInline
    mutating func takeTail(_ pointer: UnsafeRawPointer, count: Int) -> FramedLine? {
        if discarding { return nil }
        let tailStart = fedOffset - Int64(count)
        let room = maxLineBytes - carry.count
        if count <= room {
            if carry.isEmpty { carryStart = tailStart }
            appendToCarry(pointer, count: count)
            return nil
        }
        _truncatedLines += 1
        discarding = true
        if carry.isEmpty {
            return FramedLine(
                text: UnsafeRawBufferPointer(start: pointer, count: maxLineBytes), flags: .truncated,
                range: ByteRange(start: tailStart, end: fedOffset))
        }
        appendToCarry(pointer, count: room)
        pendingRelease = true
        return FramedLine(text: carry.bytes, flags: .truncated, range: ByteRange(start: carryStart, end: fedOffset))
    }

    @inlinable @inline(__always)
    mutating func releaseIfLent() {
        if pendingRelease {
            pendingRelease = false
            emptyCarry()
        }
    }

    /// Appends to the carry without letting its capacity grow past `maxLineBytes` (doubling would overshoot it).
    private mutating func appendToCarry(_ pointer: UnsafeRawPointer, count: Int) {
        carry.makeUnique()  // a copied framer keeps its own carry
        let needed = carry.count + count
        if needed > carry.capacity {
            carry.reserveCapacity(Swift.min(Swift.max(needed, carry.capacity * 2), maxLineBytes))
        }
        carry.write(pointer, count: count)
    }

    @usableFromInline
    mutating func emptyCarry() {
        carry.removeAll(maxRetainedCapacity: Self.retainedCarryCapacity)
    }
}
