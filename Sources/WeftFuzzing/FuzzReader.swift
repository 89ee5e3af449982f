/// Reads a fuzz input as a sequence of small decisions and byte strings, so that one input describes a whole run
/// (which stream, how far the clock moves, the next line). Past the end it answers zeros and empty strings, so every
/// input is a valid run.
struct FuzzReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A little-endian 16-bit number.
    mutating func uint16() -> Int { Int(byte()) | Int(byte()) << 8 }

    /// The next `count` bytes, or as many as remain.
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return Array(bytes[min(position, end)..<end])
    }

    /// Bytes up to the next `\n` (not included) or the end.
    mutating func line() -> [UInt8] {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        let result = Array(bytes[min(position, bytes.count)..<end])
        position = min(bytes.count, end + 1)
        return result
    }

    /// What is left.
    mutating func rest() -> [UInt8] { take(bytes.count - position) }
}
