/// Writes arbitrary bytes as the inside of a JSON string: always valid JSON, always valid UTF-8.
///
/// - `"` and `\` are escaped; `\n` `\r` `\t` `\b` `\f` get their short escapes; every other byte below 0x20, and
///   0x7F, becomes `\u00XX`.
/// - Valid UTF-8 (including multibyte characters) passes through raw.
/// - Each maximal invalid subpart of UTF-8 (a stray continuation byte, an overlong form, a surrogate encoded in
///   UTF-8, a code point above U+10FFFF, a sequence cut short) becomes one U+FFFD, written raw (`EF BF BD`), as the
///   Unicode standard recommends and browsers do.
///
/// Clean runs are found eight bytes at a time and copied in bulk; only the bytes that need work are looked at one by
/// one.
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
        string.withUTF8 { _ = escape(UnsafeRawBufferPointer($0), to: &sink) }
    }

    static func escape(_ bytes: UnsafeRawBufferPointer, to sink: inout some ByteSink) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let end = bytes.count
        var replaced = false
        var runStart = 0
        var index = 0
        while true {
            index = nextByteNeedingWork(base, from: index, end: end)
            if index == end { break }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte >= 0x80 {
                var length = utf8SequenceLength(base, at: index, end: end)
                // Valid multibyte characters stay in the clean run; text that has one usually has more in a row.
                while length > 0 {
                    index += length
                    guard index < end, base.load(fromByteOffset: index, as: UInt8.self) >= 0x80 else { break }
                    length = utf8SequenceLength(base, at: index, end: end)
                }
                if length > 0 { continue }
                sink.write(base + runStart, count: index - runStart)
                sink.writeLiteral("\u{FFFD}")
                replaced = true
                index -= length
            } else {
                sink.write(base + runStart, count: index - runStart)
                writeEscape(for: byte, to: &sink)
                index += 1
            }
            runStart = index
        }
        sink.write(base + runStart, count: end - runStart)
        return replaced
    }

    /// The index of the first byte at or after `start` that is `"`, `\`, below 0x20 or at least 0x7F; `end` if none.
    @inline(__always)
    static func nextByteNeedingWork(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int {
        var index = start
        while index + 16 <= end {
            let low = attentionMask(loadWord(base, index))
            let high = attentionMask(loadWord(base, index + 8))
            if low | high != 0 {
                return low != 0 ? index + low.trailingZeroBitCount >> 3 : index + 8 + high.trailingZeroBitCount >> 3
            }
            index += 16
        }
        if index + 8 <= end {
            let mask = attentionMask(loadWord(base, index))
            if mask != 0 { return index + mask.trailingZeroBitCount >> 3 }
            index += 8
        }
        if index == end { return end }
        if end >= 8 {
            // The last word, overlapping bytes already seen: those are replaced by a clean byte first, so that they
            // can neither match nor disturb the bytes after them.
            let skipped = index - (end - 8)
            let keep = UInt64.max << (skipped << 3)
            let word = (loadWord(base, end - 8) & keep) | (0x4141_4141_4141_4141 & ~keep)
            let mask = attentionMask(word)
            return mask != 0 ? end - 8 + mask.trailingZeroBitCount >> 3 : end
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x7F { return index }
            index += 1
        }
        return end
    }

    @inline(__always)
    static func loadWord(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Sets the high bit of each byte of `word` that needs work.
    ///
    /// Each "has zero byte" term can also flag bytes above a true hit (the subtraction borrows upward), never below
    /// one, so the lowest set bit — the only one used — is exact.
    @inline(__always)
    static func attentionMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let control = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let delete = word ^ (ones &* 0x7F)
        let zeros =
            ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((delete &- ones) & ~delete)
        return (control | zeros | word) & (ones &* 0x80)
    }

    /// The length of the valid UTF-8 sequence at `index` (a byte ≥ 0x80), or minus the length of its maximal invalid
    /// subpart (Unicode 15, table 3-7: the longest prefix of a well-formed sequence, or one byte).
    @inline(__always)
    static func utf8SequenceLength(_ base: UnsafeRawPointer, at index: Int, end: Int) -> Int {
        let lead = base.load(fromByteOffset: index, as: UInt8.self)
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
        let second = base.load(fromByteOffset: index + 1, as: UInt8.self)
        guard second >= low && second <= high else { return -1 }
        var offset = 2
        while offset <= continuationCount {
            guard index + offset < end,
                base.load(fromByteOffset: index + offset, as: UInt8.self) & 0xC0 == 0x80
            else { return -offset }
            offset += 1
        }
        return continuationCount + 1
    }

    /// Appends the escape for an ASCII byte that cannot appear raw in a JSON string.
    @inline(__always)
    static func writeEscape(for byte: UInt8, to sink: inout some ByteSink) {
        let backslash = UInt8(ascii: "\\")
        switch byte {
        case 0x22: sink.write(backslash, 0x22)
        case 0x5C: sink.write(backslash, backslash)
        case 0x0A: sink.write(backslash, UInt8(ascii: "n"))
        case 0x0D: sink.write(backslash, UInt8(ascii: "r"))
        case 0x09: sink.write(backslash, UInt8(ascii: "t"))
        case 0x08: sink.write(backslash, UInt8(ascii: "b"))
        case 0x0C: sink.write(backslash, UInt8(ascii: "f"))
        default:
            sink.writeLiteral(#"\u00"#)
            sink.write(hexDigit(byte >> 4), hexDigit(byte & 0x0F))
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }
}
