import CWeftSIMD
import WeftCore

/// Format-independent JSON scanning over raw bytes: whitespace, strings (skipped, or unescaped with their UTF-8
/// checked), and whole values skipped without being built.
///
/// Not a JSON parser: nothing here allocates on the hot path or builds a value. Each function takes the input as a
/// pointer `p` and an end index `n`, starts at an index into it and returns the index after what it consumed, or nil
/// when the bytes are not valid JSON there. A format's decoder (see `LineDecoder-docker.swift`) walks its own object
/// with these and decides what its keys mean.
///
/// ```swift
/// // p[0..<n] holds the 10 bytes  "a\tb", 42
/// let end = JSONScanner.skipString(p, 0, n)!          // 6: after the closing quote
/// var invalid = false
/// let (after, written) = JSONScanner.unescape(p, 1, n, into: out, invalid: &invalid)!  // (6, 3): a, tab, b
/// let next = JSONScanner.skipWhitespace(p, end + 1, n)  // 8: at the 4
/// let afterNumber = JSONScanner.skipValue(p, next, n)   // 10 (== n)
/// ```
///
/// Strings are scanned sixteen bytes at a step with SSE2 (`weft_json_string_span`), byte by byte elsewhere. Bytes at
/// or above 0x80 are checked as UTF-8 as they pass: an invalid sequence sets the caller's `invalid` flag and is kept
/// as it is, never rejected, because a log line is data to pass on.
enum JSONScanner {
    /// Whether `b` is JSON insignificant whitespace: space, tab, line feed or carriage return.
    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    /// The index of the first byte at or after `start` that a string scan must look at: a `"`, a `\`, a control byte,
    /// or `n`. Bytes at or above 0x80 are passed over unchecked (see ``scanPlainRun(_:_:_:_:)`` for checked).
    @inline(__always)
    static func rawStringSpanEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        start + weft_json_string_span(p + start, n - start, 0)
    }

    // MARK: - Whitespace and skipping

    /// The index of the first byte at or after `i` that is not whitespace, or `n`.
    @inline(__always)
    static func skipWhitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var i = i
        while i < n, isWhitespace(p[i]) { i += 1 }
        return i
    }

    /// The index after the closing quote of the string whose opening quote is at `i`, or nil if it does not end or
    /// holds a raw control byte.
    @inline(__always)
    static func skipString(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        var j = i + 1
        var invalid = false
        while true {
            scanPlainRun(p, &j, n, &invalid)
            guard j < n else { return nil }
            let b = p[j]
            if b == UInt8(ascii: "\"") { return j + 1 }
            // A backslash needs the escaped byte after it: a line that ends there is broken, and skipping two bytes
            // would start the next scan past the end of the line.
            guard b == UInt8(ascii: "\\"), j + 1 < n else { return nil }
            j += 2
        }
    }

    /// The index after the JSON value starting at `i`, or nil. Nested objects and arrays are skipped by bracket
    /// depth (their inner commas and colons are not checked); strings inside them are honoured. A number is skipped
    /// as a run of digits, signs, `.`, `e` and `E`, not checked against JSON's number grammar.
    static func skipValue(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        let first = p[i]
        switch first {
        case UInt8(ascii: "\""):
            return skipString(p, i, n)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var j = i
            while j < n {
                switch p[j] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(p, j, n) else { return nil }
                    j = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return j + 1 }
                default:
                    break
                }
                j += 1
            }
            return nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for literal in ["true", "false", "null"] where literal.utf8.first == first {
                let count = literal.utf8.count
                guard i + count <= n,
                    UnsafeRawBufferPointer(start: p + i, count: count).elementsEqual(literal.utf8)
                else { return nil }
                return i + count
            }
            return nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            var j = i + 1
            while j < n {
                switch p[j] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                    UInt8(ascii: "+"), UInt8(ascii: "-"):
                    j += 1
                    continue
                default:
                    break
                }
                break
            }
            return j
        default:
            return nil
        }
    }

    // MARK: - Unescaping

    /// Unescapes a JSON string from `i` (inside it, after its opening quote) to its closing quote, writing to `out`,
    /// which has room for at least as many bytes as remain in the input (unescaping never grows the text).
    ///
    /// - Returns: the index after the closing quote and the number of bytes written, or nil if the string is not
    ///   valid JSON (unterminated, a raw control byte, an unknown escape, a `\u` without four hex digits).
    static func unescape(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, into out: UnsafeMutablePointer<UInt8>, invalid: inout Bool
    ) -> (end: Int, written: Int)? {
        var i = start
        var o = 0
        while true {
            let runStart = i
            scanPlainRun(p, &i, n, &invalid)
            if i > runStart {
                (out + o).update(from: p + runStart, count: i - runStart)
                o += i - runStart
            }
            guard i < n else { return nil }
            let b = p[i]
            if b == UInt8(ascii: "\"") { return (i + 1, o) }
            guard b == UInt8(ascii: "\\"), i + 1 < n else { return nil }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "\""): out[o] = 0x22
            case UInt8(ascii: "\\"): out[o] = 0x5C
            case UInt8(ascii: "/"): out[o] = 0x2F
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "u"):
                guard let unit = hex4(p, i, n) else { return nil }
                i += 4
                var scalar = unit
                if unit & 0xFC00 == 0xD800 {
                    // A high surrogate must be followed by an escaped low one.
                    if i + 6 <= n, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u"),
                        let low = hex4(p, i + 2, n), low & 0xFC00 == 0xDC00
                    {
                        scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else {
                        scalar = 0xFFFD
                        invalid = true
                    }
                } else if unit & 0xFC00 == 0xDC00 {
                    scalar = 0xFFFD
                    invalid = true
                }
                o += writeUTF8(scalar, to: out + o)
                continue
            default:
                return nil
            }
            o += 1
        }
    }

    /// Advances `i` over bytes that need no unescaping: stops at `"`, `\`, a control byte, or the end. Bytes at or
    /// above 0x80 are checked as UTF-8 on the way; a byte that does not start a valid sequence sets `invalid`.
    @inline(__always)
    static func scanPlainRun(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ n: Int, _ invalid: inout Bool) {
        while true {
            // Sixteen bytes at a time (SSE2) up to a quote, a backslash, a control byte or a non-ASCII byte.
            i &+= weft_json_string_span(p + i, n &- i, 1)
            guard i < n else { return }
            if p[i] < 0x80 { return }
            let length = UTF8Bytes.sequenceLength(p, at: i, end: n)
            if length < 0 {
                invalid = true
                i &+= 1
            } else {
                i &+= length
            }
        }
    }

    /// The value of the four hex digits at `i`, or nil if there are fewer than four or one is not a hex digit.
    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> UInt32? {
        guard i + 4 <= n else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = p[i + k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Writes `scalar` (not a surrogate, at most U+10FFFF) as UTF-8; returns the byte count.
    @inline(__always)
    static func writeUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if scalar < 0x80 {
            out[0] = UInt8(scalar)
            return 1
        }
        if scalar < 0x800 {
            out[0] = UInt8(0xC0 | scalar >> 6)
            out[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        }
        if scalar < 0x10000 {
            out[0] = UInt8(0xE0 | scalar >> 12)
            out[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        }
        out[0] = UInt8(0xF0 | scalar >> 18)
        out[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
        out[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
        out[3] = UInt8(0x80 | scalar & 0x3F)
        return 4
    }

    /// Decodes the string whose opening quote is at `i` into a new array; returns it and the index after it.
    static func decodeString(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> ([UInt8], Int)? {
        var invalid = false
        var result: (Int, Int)? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: n - i) { buffer, count in
            result = unescape(p, i + 1, n, into: buffer.baseAddress!, invalid: &invalid)
            count = result?.1 ?? 0
        }
        guard let (end, _) = result else { return nil }
        return (bytes, end)
    }
}
