import WeftCore

/// The protobuf wire format, as far as OTLP logs need it: varints, fixed64, length-delimited fields.
///
/// Writers store through a raw pointer into memory the caller reserved: the encoder computes a message's exact size
/// first (``varintSize(_:)``), so a nested message's length is written before its contents without a second buffer.
enum ProtobufWire {
    /// Wire types (the low three bits of a tag).
    static let varint: UInt8 = 0
    static let fixed64: UInt8 = 1
    static let lengthDelimited: UInt8 = 2

    /// The one-byte tag of field `number` (1...15) with `wireType`.
    @inline(__always)
    static func tag(_ number: UInt8, _ wireType: UInt8) -> UInt8 { number << 3 | wireType }

    /// Bytes the varint of `value` takes (1...10).
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 7 bits a byte: ceil(significant bits / 7), and one byte for 0.
        let bits = 64 &- (value | 1).leadingZeroBitCount
        return (bits &+ 6) / 7
    }

    @inline(__always)
    static func varintSize(_ value: Int) -> Int { varintSize(UInt64(bitPattern: Int64(value))) }

    /// Bytes a length-delimited field with a one-byte tag takes for `count` bytes of contents.
    @inline(__always)
    static func fieldSize(_ count: Int) -> Int { 1 &+ varintSize(count) &+ count }
}

/// A write position in memory already reserved for everything written through it.
struct WireCursor {
    var pointer: UnsafeMutablePointer<UInt8>

    @inline(__always)
    init(_ pointer: UnsafeMutableRawPointer) {
        self.pointer = pointer.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        pointer.pointee = value
        pointer += 1
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            pointer.pointee = UInt8(truncatingIfNeeded: rest) | 0x80
            pointer += 1
            rest >>= 7
        }
        pointer.pointee = UInt8(truncatingIfNeeded: rest)
        pointer += 1
    }

    @inline(__always)
    mutating func varint(_ value: Int) { varint(UInt64(bitPattern: Int64(value))) }

    @inline(__always)
    mutating func fixed64(_ value: UInt64) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.littleEndian, as: UInt64.self)
        pointer += 8
    }

    /// A length-delimited field's header: tag, then the contents' length.
    @inline(__always)
    mutating func header(_ field: UInt8, count: Int) {
        byte(ProtobufWire.tag(field, ProtobufWire.lengthDelimited))
        varint(count)
    }

    @inline(__always)
    mutating func copy(_ source: UnsafeRawPointer, count: Int) {
        UnsafeMutableRawPointer(pointer).copyMemory(from: source, byteCount: count)
        pointer += count
    }

    @inline(__always)
    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress { copy(base, count: bytes.count) }
    }
}

extension RawBuffer {
    /// Appends a length-delimited field holding `bytes` (a string, or an encoded message).
    mutating func writeField(_ field: UInt8, _ bytes: UnsafeRawBufferPointer) {
        reserve(ProtobufWire.fieldSize(bytes.count))
        var cursor = WireCursor(base + count)
        cursor.header(field, count: bytes.count)
        cursor.copy(bytes)
        advance(by: ProtobufWire.fieldSize(bytes.count))
    }

    mutating func writeField(_ field: UInt8, _ string: String) {
        var string = string
        string.withUTF8 { writeField(field, UnsafeRawBufferPointer($0)) }
    }

    /// Appends the bytes of `other[range]`.
    @inline(__always)
    mutating func write(_ other: borrowing RawBuffer, _ range: Range<Int>) {
        write(other.base + range.lowerBound, count: range.count)
    }
}
