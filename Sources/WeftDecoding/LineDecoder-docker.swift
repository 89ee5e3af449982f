import CWeftSIMD
import WeftCore

// Docker json-file: `{"log":"...\n","stream":"stderr","attrs":{...},"time":"2026-03-14T09:00:01.123456789Z"}`.
//
// A byte-level scanner, not a general JSON parser: it walks the object once, decodes `log` (without copying when the
// only escape is the final `\n`), matches `stream`, parses `time`, keeps the byte range of `attrs` and skips anything
// else, nested or not. Keys may come in any order. Strings must be valid JSON strings: a raw control byte or an
// unknown escape makes the line malformed. Raw bytes that are not UTF-8 are kept and flagged `.invalidUTF8` (Docker
// itself never writes them: it escapes them as `\ufffd`), as are lone surrogate escapes, which become U+FFFD.

extension LineDecoder {
    /// What the scanner found in one Docker line.
    struct DockerFields {
        var text = UnsafeRawBufferPointer(start: nil, count: 0)
        var hasLog = false
        var isPartial = false
        var sawStream = false
        var sawTime = false
        var stream = LogStream.unknown
        var time = Timestamp.none
        var invalidUTF8 = false
        var attributes: Range<Int>? = nil
    }

    mutating func decodeDocker(_ physical: UnsafeRawBufferPointer, flags: LineFlags) -> LogLine {
        var fields = DockerFields()
        guard scanDocker(physical, into: &fields), fields.hasLog else {
            return malformed(physical, stream: fields.stream, flags: flags)
        }
        return finishDocker(physical, fields, flags: flags)
    }

    /// The line for fields that scanned; malformed when there is no `log` (Docker omits `log` only when it is empty,
    /// and json-file never writes an empty one: a complete line carries at least its `\n`).
    mutating func finishDocker(_ physical: UnsafeRawBufferPointer, _ fields: DockerFields, flags: LineFlags) -> LogLine
    {
        guard fields.hasLog else { return malformed(physical, stream: fields.stream, flags: flags) }
        if let range = fields.attributes {
            noteAttributes(UnsafeRawBufferPointer(rebasing: physical[range]))
        }
        var flags = flags
        if fields.invalidUTF8 { flags.insert(.invalidUTF8) }
        return LogLine(
            source: source, stream: fields.stream, time: fields.time, text: fields.text,
            isPartial: fields.isPartial, flags: flags)
    }

    /// Scans one line as a Docker JSON object. Returns false if it is not one; `fields` then holds what was seen.
    mutating func scanDocker(_ physical: UnsafeRawBufferPointer, into fields: inout DockerFields) -> Bool {
        let n = physical.count
        guard n >= 2, let raw = physical.baseAddress else { return false }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        var i = Self.skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return false }
        i = Self.skipWhitespace(p, i + 1, n)
        guard i < n else { return false }
        if p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                guard i < n, p[i] == UInt8(ascii: "\"") else { return false }
                guard let (key, afterKey) = Self.scanKey(p, i, n) else { return false }
                i = Self.skipWhitespace(p, afterKey, n)
                guard i < n, p[i] == UInt8(ascii: ":") else { return false }
                i = Self.skipWhitespace(p, i + 1, n)
                guard i < n else { return false }
                switch key {
                case .log:
                    guard p[i] == UInt8(ascii: "\""), let end = decodeLog(p, i + 1, n, &fields) else { return false }
                    i = end
                case .stream:
                    guard p[i] == UInt8(ascii: "\"") else { return false }
                    fields.sawStream = true
                    if i + 7 < n && p[i + 7] == UInt8(ascii: "\"") {
                        // The usual value: exactly `stdout` or `stderr`, then the closing quote.
                        let stream = Self.streamNamed(p, i + 1, i + 7)
                        if stream != .unknown {
                            fields.stream = stream
                            i += 8
                            break
                        }
                    }
                    guard let end = Self.skipString(p, i, n) else { return false }
                    fields.stream = Self.streamNamed(p, i + 1, end - 1)
                    i = end
                case .time:
                    guard p[i] == UInt8(ascii: "\""), let end = Self.skipString(p, i, n) else { return false }
                    let value = UnsafeRawBufferPointer(start: p + i + 1, count: end - i - 2)
                    guard let time = RFC3339.parseDetailed(value, cache: &dayCache) else { return false }
                    fields.time = time.nanos
                    fields.sawTime = true
                    i = end
                case .attrs:
                    guard let end = Self.skipValue(p, i, n) else { return false }
                    fields.attributes = i..<end
                    i = end
                case .other:
                    guard let end = Self.skipValue(p, i, n) else { return false }
                    i = end
                }
                i = Self.skipWhitespace(p, i, n)
                guard i < n else { return false }
                if p[i] == UInt8(ascii: ",") {
                    i = Self.skipWhitespace(p, i + 1, n)
                    continue
                }
                guard p[i] == UInt8(ascii: "}") else { return false }
                i += 1
                break
            }
        }
        return Self.skipWhitespace(p, i, n) == n
    }

    // MARK: - The `log` value

    /// Decodes the `log` string whose first content byte is at `start`; returns the index after its closing quote.
    ///
    /// Zero copy while no escape is met, or when the only escape is the final `\n`; otherwise the prefix is copied to
    /// the scratch buffer and the rest unescaped after it. One trailing newline is stripped and marks the line
    /// complete; without it the line is a partial chunk.
    @inline(__always)
    private mutating func decodeLog(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ fields: inout DockerFields
    ) -> Int? {
        var invalid = false
        var i = start
        Self.scanPlainRun(p, &i, n, &invalid)
        guard i < n else { return nil }
        let stop = p[i]
        if stop == UInt8(ascii: "\"") {
            // No escape at all: a chunk without its newline.
            fields.text = UnsafeRawBufferPointer(start: p + start, count: i - start)
            fields.isPartial = true
        } else if stop == UInt8(ascii: "\\") && i + 2 < n && p[i + 1] == UInt8(ascii: "n")
            && p[i + 2] == UInt8(ascii: "\"")
        {
            // The common case: the only escape is the newline that ends the line.
            fields.text = UnsafeRawBufferPointer(start: p + start, count: i - start)
            fields.isPartial = false
            i += 2
        } else if stop == UInt8(ascii: "\\") {
            let out = scratchBase(reserving: n - start).assumingMemoryBound(to: UInt8.self)
            let prefix = i - start
            out.update(from: p + start, count: prefix)
            guard let (end, written) = Self.unescape(p, i, n, into: out + prefix, invalid: &invalid) else {
                return nil
            }
            var count = prefix + written
            if count > 0 && out[count - 1] == 0x0A {
                count -= 1
                fields.isPartial = false
            } else {
                fields.isPartial = true
            }
            fields.text = UnsafeRawBufferPointer(start: out, count: count)
            fields.hasLog = true
            fields.invalidUTF8 = fields.invalidUTF8 || invalid
            return end
        } else {
            // A raw control byte: not JSON.
            return nil
        }
        fields.hasLog = true
        fields.invalidUTF8 = fields.invalidUTF8 || invalid
        return i + 1
    }

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

    // MARK: - Keys and skipped values

    enum DockerKey { case log, stream, time, attrs, other }

    /// Reads the key whose opening quote is at `i`; returns it and the index after its closing quote.
    @inline(__always)
    static func scanKey(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (DockerKey, Int)? {
        let start = i + 1
        let j = start + weft_json_string_span(p + start, n - start, 0)
        guard j < n else { return nil }
        if p[j] != UInt8(ascii: "\"") { return scanEscapedKey(p, i, n) }
        return (keyNamed(UnsafeRawBufferPointer(start: p + start, count: j - start)), j + 1)
    }

    /// A key spelled with escapes (`"l\u006fg"`): rare, so decoded into a temporary.
    @inline(never)
    static func scanEscapedKey(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (DockerKey, Int)? {
        guard let (bytes, end) = decodeString(p, i, n) else { return nil }
        let key = bytes.withUnsafeBytes { keyNamed($0) }
        return (key, end)
    }

    @inline(__always)
    static func keyNamed(_ key: UnsafeRawBufferPointer) -> DockerKey {
        @inline(__always) func word32(_ offset: Int) -> UInt32 {
            key.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
        }
        // Little-endian words of "time", "attr", "stre", "eam" + padding.
        switch key.count {
        case 3:
            return key[0] == UInt8(ascii: "l") && key[1] == UInt8(ascii: "o") && key[2] == UInt8(ascii: "g")
                ? .log : .other
        case 4:
            return word32(0) == 0x656D_6974 ? .time : .other
        case 5:
            return word32(0) == 0x7274_7461 && key[4] == UInt8(ascii: "s") ? .attrs : .other
        case 6:
            return word32(0) == 0x6572_7473 && word32(2) == 0x6D61_6572 ? .stream : .other
        default:
            return .other
        }
    }

    /// `stdout` or `stderr` from the raw value bytes `start..<end`; anything else is `.unknown`.
    @inline(__always)
    static func streamNamed(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> LogStream {
        guard end - start == 6, p[start] == UInt8(ascii: "s"), p[start + 1] == UInt8(ascii: "t"),
            p[start + 2] == UInt8(ascii: "d")
        else { return .unknown }
        let tail = (p[start + 3], p[start + 4], p[start + 5])
        if tail == (UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "t")) { return .stdout }
        if tail == (UInt8(ascii: "e"), UInt8(ascii: "r"), UInt8(ascii: "r")) { return .stderr }
        return .unknown
    }

    @inline(__always)
    static func skipWhitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var i = i
        while i < n, isJSONWhitespace(p[i]) { i += 1 }
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
            guard b == UInt8(ascii: "\\") else { return nil }
            j += 2
        }
    }

    /// The index after the JSON value starting at `i`, or nil. Nested objects and arrays are skipped by bracket
    /// depth (their inner commas and colons are not checked); strings inside them are honoured.
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

    // MARK: - Cold path: escaped keys and attrs

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

    /// The `attrs` object as (key, value) pairs in written order; values that are not strings keep their JSON text.
    static func decodeAttributes(_ raw: UnsafeRawBufferPointer) -> [(key: String, value: String)] {
        let n = raw.count
        guard n >= 2, let base = raw.baseAddress else { return [] }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var pairs: [(key: String, value: String)] = []
        var i = skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return [] }
        i = skipWhitespace(p, i + 1, n)
        while i < n, p[i] == UInt8(ascii: "\"") {
            guard let (key, afterKey) = decodeString(p, i, n) else { return pairs }
            i = skipWhitespace(p, afterKey, n)
            guard i < n, p[i] == UInt8(ascii: ":") else { return pairs }
            i = skipWhitespace(p, i + 1, n)
            guard i < n else { return pairs }
            let value: [UInt8]
            let end: Int
            if p[i] == UInt8(ascii: "\"") {
                guard let (decoded, after) = decodeString(p, i, n) else { return pairs }
                (value, end) = (decoded, after)
            } else {
                guard let after = skipValue(p, i, n) else { return pairs }
                (value, end) = (Array(UnsafeRawBufferPointer(start: p + i, count: after - i)), after)
            }
            pairs.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            i = skipWhitespace(p, end, n)
            guard i < n, p[i] == UInt8(ascii: ",") else { break }
            i = skipWhitespace(p, i + 1, n)
        }
        return pairs
    }
}
