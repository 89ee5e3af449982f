import CWeftSIMD
import WeftCore

/// Writes arbitrary bytes as the inside of a JSON string: always valid JSON, always valid UTF-8.
///
/// - `"` and `\` are escaped; `\n` `\r` `\t` `\b` `\f` get their short escapes; every other byte below 0x20, and
///   0x7F, becomes `\u00XX`.
/// - Valid UTF-8 (including multibyte characters) passes through raw.
/// - Each maximal invalid subpart of UTF-8 (a stray continuation byte, an overlong form, a surrogate encoded in
///   UTF-8, a code point above U+10FFFF, a sequence cut short) becomes one U+FFFD, written raw (`EF BF BD`), as the
///   Unicode standard recommends and browsers do.
///
/// Clean runs are found and copied sixteen bytes at a time; only the bytes that need work are looked at one by one.
///
/// ```swift
/// var out: [UInt8] = []
/// let replaced = Array("tab\there \u{FF}".utf8).withUnsafeBytes { JSONString.appendEscaped($0, to: &out) }
/// ```
public enum JSONString {
    /// Appends `bytes` escaped (without the surrounding quotes) to `out`.
    ///
    /// - Returns: true if invalid UTF-8 was replaced with U+FFFD.
    @discardableResult
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        escape(bytes, to: &out)
    }

    /// Appends the escaped UTF-8 of `string` (always valid, so never replaced).
    public static func appendEscaped(_ string: String, to out: inout [UInt8]) {
        escape(string, to: &out)
    }

    static func escape(_ string: String, to sink: inout some ByteSink) {
        var string = string
        string.withUTF8 { _ = sink.writeEscaped(UnsafeRawBufferPointer($0)) }
    }

    static func escape(_ bytes: UnsafeRawBufferPointer, to sink: inout some ByteSink) -> Bool {
        sink.writeEscaped(bytes)
    }

    /// Bytes escaped per reservation of output: the worst case (every byte a six-byte `\u00XX`) of a piece is
    /// reserved at once, so the loop below stores without checking capacity, and a huge body never asks for six
    /// times its size.
    static var pieceSize: Int { 4096 }

    /// Escapes `bytes` into `out`; the one implementation behind every ``ByteSink``.
    ///
    /// ASCII is escaped 16 bytes at a time by `weft_json_escape_ascii` (SSE2); this loop adds UTF-8 validation.
    static func escape(_ bytes: UnsafeRawBufferPointer, into out: inout RawBuffer) -> Bool {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let end = bytes.count
        var replaced = false
        var index = 0
        while index < end {
            let pieceEnd = Swift.min(end, index + pieceSize)
            // A multibyte character that starts before `pieceEnd` may run 3 bytes past it; 16 for the vector stores.
            out.reserve((pieceEnd - index) * 6 + 32)
            let start = out.base.assumingMemoryBound(to: UInt8.self) + out.count
            var destination = start
            while index < pieceEnd {
                var written = 0
                index += weft_json_escape_ascii(source + index, pieceEnd - index, destination, &written)
                destination += written
                if index >= pieceEnd { break }
                // Valid multibyte characters are copied; text that has one usually has more in a row.
                var length = utf8SequenceLength(source, at: index, end: end)
                while length > 0 {
                    destination.update(from: source + index, count: length)
                    destination += length
                    index += length
                    guard index < pieceEnd, source[index] >= 0x80 else { break }
                    length = utf8SequenceLength(source, at: index, end: end)
                }
                if length < 0 {
                    // U+FFFD for the maximal invalid subpart.
                    destination[0] = 0xEF
                    destination[1] = 0xBF
                    destination[2] = 0xBD
                    destination += 3
                    index -= length
                    replaced = true
                }
            }
            out.advance(by: destination - start)
        }
        return replaced
    }

    /// The length of the valid UTF-8 sequence at `index` (a byte ≥ 0x80), or minus the length of its maximal invalid
    /// subpart (Unicode 15, table 3-7: the longest prefix of a well-formed sequence, or one byte).
    @inline(__always)
    static func utf8SequenceLength(_ base: UnsafePointer<UInt8>, at index: Int, end: Int) -> Int {
        let lead = base[index]
        let continuationCount: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: continuationCount = 1
        case 0xE0:
            continuationCount = 2
            low = 0xA0  // shorter forms are overlong
        case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
        case 0xED:
            continuationCount = 2
            high = 0x9F  // ED A0...ED BF encode surrogates
        case 0xF0:
            continuationCount = 3
            low = 0x90  // shorter forms are overlong
        case 0xF1...0xF3: continuationCount = 3
        case 0xF4:
            continuationCount = 3
            high = 0x8F  // above U+10FFFF otherwise
        default:
            return -1  // a continuation byte, C0, C1 or F5...FF: never valid here
        }
        guard index + 1 < end else { return -1 }
        let second = base[index + 1]
        guard second >= low && second <= high else { return -1 }
        var offset = 2
        while offset <= continuationCount {
            guard index + offset < end,
                base[index + offset] & 0xC0 == 0x80
            else { return -offset }
            offset += 1
        }
        return continuationCount + 1
    }
}
