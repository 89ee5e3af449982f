import WeftCore

// Docker json-file: `{"log":"...\n","stream":"stderr","attrs":{...},"time":"2026-03-14T09:00:01.123456789Z"}`.
//
// Docker's rules, over the format-independent byte scanning of `JSONScanner` (JSONScanner.swift). Not a general JSON
// parser: it walks the object once, decodes `log` (without copying when the only escape is the final `\n`), matches
// `stream`, parses `time`, keeps the byte range of `attrs` and skips anything else, nested or not. Keys may come in any
// order. The `log` value and keys spelled with escapes are unescaped and must be valid JSON strings: a raw control byte
// or an unknown escape makes the line malformed. Other strings are skipped, not unescaped: a raw control byte or a
// missing closing quote makes the line malformed, but their escapes are not checked (`"x":"\q"` passes; a `time` with
// one fails to parse as a time, so the line is malformed; a `stream` with one is an unknown stream). Raw bytes that are
// not UTF-8 are kept and flagged `.invalidUTF8` (Docker itself never writes them: it escapes them as `\ufffd`), as are
// lone surrogate escapes, which become U+FFFD.

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
        var i = JSONScanner.skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return false }
        i = JSONScanner.skipWhitespace(p, i + 1, n)
        guard i < n else { return false }
        if p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                guard i < n, p[i] == UInt8(ascii: "\"") else { return false }
                guard let (key, afterKey) = Self.scanKey(p, i, n) else { return false }
                i = JSONScanner.skipWhitespace(p, afterKey, n)
                guard i < n, p[i] == UInt8(ascii: ":") else { return false }
                i = JSONScanner.skipWhitespace(p, i + 1, n)
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
                    guard let end = JSONScanner.skipString(p, i, n) else { return false }
                    fields.stream = Self.streamNamed(p, i + 1, end - 1)
                    i = end
                case .time:
                    guard p[i] == UInt8(ascii: "\""), let end = JSONScanner.skipString(p, i, n) else { return false }
                    let value = UnsafeRawBufferPointer(start: p + i + 1, count: end - i - 2)
                    guard let time = RFC3339.parseDetailed(value, cache: &dayCache) else { return false }
                    fields.time = time.nanos
                    fields.sawTime = true
                    i = end
                case .attrs:
                    guard let end = JSONScanner.skipValue(p, i, n) else { return false }
                    fields.attributes = i..<end
                    i = end
                case .other:
                    guard let end = JSONScanner.skipValue(p, i, n) else { return false }
                    i = end
                }
                i = JSONScanner.skipWhitespace(p, i, n)
                guard i < n else { return false }
                if p[i] == UInt8(ascii: ",") {
                    i = JSONScanner.skipWhitespace(p, i + 1, n)
                    continue
                }
                guard p[i] == UInt8(ascii: "}") else { return false }
                i += 1
                break
            }
        }
        return JSONScanner.skipWhitespace(p, i, n) == n
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
        JSONScanner.scanPlainRun(p, &i, n, &invalid)
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
            guard let (end, written) = JSONScanner.unescape(p, i, n, into: out + prefix, invalid: &invalid) else {
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

    // MARK: - Keys and the stream name

    enum DockerKey { case log, stream, time, attrs, other }

    /// Reads the key whose opening quote is at `i`; returns it and the index after its closing quote.
    @inline(__always)
    static func scanKey(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (DockerKey, Int)? {
        let start = i + 1
        let j = JSONScanner.rawStringSpanEnd(p, start, n)
        guard j < n else { return nil }
        if p[j] != UInt8(ascii: "\"") { return scanEscapedKey(p, i, n) }
        return (keyNamed(UnsafeRawBufferPointer(start: p + start, count: j - start)), j + 1)
    }

    /// A key spelled with escapes (`"l\u006fg"`): rare, so decoded into a temporary.
    @inline(never)
    static func scanEscapedKey(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (DockerKey, Int)? {
        guard let (bytes, end) = JSONScanner.decodeString(p, i, n) else { return nil }
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

    // MARK: - Cold path: attrs

    /// The `attrs` object as (key, value) pairs in written order; values that are not strings keep their JSON text.
    static func decodeAttributes(_ raw: UnsafeRawBufferPointer) -> [(key: String, value: String)] {
        let n = raw.count
        guard n >= 2, let base = raw.baseAddress else { return [] }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var pairs: [(key: String, value: String)] = []
        var i = JSONScanner.skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return [] }
        i = JSONScanner.skipWhitespace(p, i + 1, n)
        while i < n, p[i] == UInt8(ascii: "\"") {
            guard let (key, afterKey) = JSONScanner.decodeString(p, i, n) else { return pairs }
            i = JSONScanner.skipWhitespace(p, afterKey, n)
            guard i < n, p[i] == UInt8(ascii: ":") else { return pairs }
            i = JSONScanner.skipWhitespace(p, i + 1, n)
            guard i < n else { return pairs }
            let value: [UInt8]
            let end: Int
            if p[i] == UInt8(ascii: "\"") {
                guard let (decoded, after) = JSONScanner.decodeString(p, i, n) else { return pairs }
                (value, end) = (decoded, after)
            } else {
                guard let after = JSONScanner.skipValue(p, i, n) else { return pairs }
                (value, end) = (Array(UnsafeRawBufferPointer(start: p + i, count: after - i)), after)
            }
            pairs.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            i = JSONScanner.skipWhitespace(p, end, n)
            guard i < n, p[i] == UInt8(ascii: ",") else { break }
            i = JSONScanner.skipWhitespace(p, i + 1, n)
        }
        return pairs
    }
}
