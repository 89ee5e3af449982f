import WeftCore

/// Where the output path writes bytes: the encoder's ``RawBuffer``, or a caller's `[UInt8]`.
///
/// Generic code over this protocol is specialised for each, so the raw buffer's writes stay plain stores.
protocol ByteSink {
    /// Appends `count` bytes starting at `pointer`.
    mutating func write(_ pointer: UnsafeRawPointer, count: Int)
    /// Appends one byte.
    mutating func write(_ byte: UInt8)
    /// Appends `bytes` escaped for the inside of a JSON string (``JSONString``); true if invalid UTF-8 was replaced.
    mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) -> Bool
}

extension ByteSink {
    /// Appends the UTF-8 bytes of a literal.
    @inline(__always)
    mutating func writeLiteral(_ literal: StaticString) {
        write(literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    /// Appends `value` in decimal.
    @inline(__always)
    mutating func writeDecimal(_ value: Int) {
        DecimalText.withDigits(UInt64(value.magnitude), negative: value < 0) { write($0, count: $1) }
    }
}

extension RawBuffer: ByteSink {
    @inline(__always)
    mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        JSONString.escape(bytes, into: &self)
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    mutating func write(_ pointer: UnsafeRawPointer, count: Int) {
        append(contentsOf: UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count))
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        append(byte)
    }

    /// Escapes through a ``RawBuffer`` (the encoder's hot path never writes to an array).
    mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var buffer = RawBuffer(capacity: bytes.count + 64)
        let replaced = JSONString.escape(bytes, into: &buffer)
        write(buffer.base, count: buffer.count)
        return replaced
    }
}
