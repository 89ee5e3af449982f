import WeftCore

extension RawBuffer {
    /// Appends the UTF-8 bytes of a literal.
    @inline(__always)
    mutating func append(_ literal: StaticString) {
        write(literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    /// Appends `value` in decimal.
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        // Twenty digits hold any UInt64; the text is built backwards in a stack buffer.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value
            var index = 24
            repeat {
                index &-= 1
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            } while rest != 0
            write(buffer.baseAddress.unsafelyUnwrapped + index, count: 24 &- index)
        }
    }
}
