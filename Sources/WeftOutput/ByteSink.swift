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
        // Twenty digits hold any Int; the text is built backwards in a stack buffer.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value.magnitude
            var index = 24
            repeat {
                index -= 1
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            } while rest != 0
            if value < 0 {
                index -= 1
                buffer[index] = UInt8(ascii: "-")
            }
            write(buffer.baseAddress.unsafelyUnwrapped + index, count: 24 - index)
        }
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
