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
                var length = UTF8Bytes.sequenceLength(source, at: index, end: end)
                while length > 0 {
                    destination.update(from: source + index, count: length)
                    destination += length
                    index += length
                    guard index < pieceEnd, source[index] >= 0x80 else { break }
                    length = UTF8Bytes.sequenceLength(source, at: index, end: end)
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
}
