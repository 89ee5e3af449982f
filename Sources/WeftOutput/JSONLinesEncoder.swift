import WeftCore

/// Encodes records as JSON lines in the OpenTelemetry log data model (or as raw bodies, ``OutputFormat/body``).
///
/// One record becomes one line. Keys come in this order, and a key whose value is unknown is left out:
///
/// ```json
/// {"timestamp":"2026-03-14T09:00:01.123456789Z","observed_timestamp":"2026-03-14T09:00:01.200000000Z",
///  "body":"Traceback (most recent call last):\n  File ...",
///  "attributes":{"log.iostream":"stderr","log.file.path":"/var/log/pods/...",<source attributes>,
///   "weft.parser":"python","weft.lines":12,"weft.flush_reason":"next_record","weft.truncated":false,
///   "weft.malformed":true,"weft.continuation":true,"weft.invalid_utf8":true},
///  "resource":{"k8s.namespace.name":"shop","k8s.pod.name":"api-7d9"}}
/// ```
///
/// (on one line). `timestamp` is absent when the log format gave no time, `log.iostream` when the stream is unknown,
/// `log.file.path` for standard input, `weft.parser` for a single ordinary line, `resource` when the source has no
/// resource attributes; `weft.malformed`, `weft.continuation` and `weft.invalid_utf8` appear only when true.
/// Timestamps are RFC 3339 UTC with nine fractional digits. The body is escaped by ``JSONString``, so the output is
/// valid JSON and valid UTF-8 whatever bytes the record holds.
///
/// The encoder allocates nothing per record once warm: it appends into the caller's buffer, keeps the formatted
/// second of the last timestamp, and keeps each source's attributes and resource already encoded (re-encoded when the
/// ``SourceInfo`` passed for that source changes).
///
/// ```swift
/// var encoder = JSONLinesEncoder()
/// var out: [UInt8] = []
/// encoder.encode(record, source: sources[record.source], into: &out)
/// ```
public struct JSONLinesEncoder {
    public let format: OutputFormat

    private var timeCache = SecondCache()
    private var observedCache = SecondCache()
    /// Encoded source fragments, indexed by ``SourceID``.
    private var sourceCache: [EncodedSource?] = []

    /// Sources with an id above this are encoded on every record rather than cached (ids are dense in practice).
    static let maxCachedSourceID = 1 << 16

    public init(format: OutputFormat = .json) {
        self.format = format
    }

    /// Appends one record as one line, terminated by `\n`, to `out`.
    public mutating func encode(_ record: Record, source: SourceInfo, into out: inout [UInt8]) {
        if format == .body {
            if let base = record.body.baseAddress { out.appendBytes(base, count: record.body.count) }
            out.append(UInt8(ascii: "\n"))
            return
        }

        out.append(UInt8(ascii: "{"))
        if record.time != Timestamp.none {
            out.appendLiteral(#""timestamp":""#)
            timeCache.append(record.time, to: &out)
            out.appendLiteral(#"","#)
        }
        if record.observedTime != Timestamp.none {
            out.appendLiteral(#""observed_timestamp":""#)
            observedCache.append(record.observedTime, to: &out)
            out.appendLiteral(#"","#)
        }
        out.appendLiteral(#""body":""#)
        let invalidUTF8 = JSONString.appendEscaped(record.body, to: &out)
        out.appendLiteral(#"","attributes":{"#)

        switch record.stream {
        case .stdout: out.appendLiteral(#""log.iostream":"stdout","#)
        case .stderr: out.appendLiteral(#""log.iostream":"stderr","#)
        case .unknown: break
        }
        let id = Int(record.source)
        if id <= Self.maxCachedSourceID {
            if id >= sourceCache.count {
                sourceCache.append(contentsOf: repeatElement(nil, count: id + 1 - sourceCache.count))
            }
            if sourceCache[id]?.info != source {
                sourceCache[id] = EncodedSource(source)
            }
            out.append(contentsOf: sourceCache[id].unsafelyUnwrapped.attributes)
        } else {
            EncodedSource.appendAttributes(of: source, to: &out)
        }
        if let parser = record.parser {
            out.appendLiteral(#""weft.parser":""#)
            JSONString.appendEscaped(parser, to: &out)
            out.appendLiteral(#"","#)
        }
        out.appendLiteral(#""weft.lines":"#)
        out.appendDecimal(record.lineCount)
        out.appendLiteral(#","weft.flush_reason":""#)
        switch record.flushReason {
        case .nextRecord: out.appendLiteral("next_record")
        case .timeout: out.appendLiteral("timeout")
        case .maxLines: out.appendLiteral("max_lines")
        case .maxBytes: out.appendLiteral("max_bytes")
        case .bufferFull: out.appendLiteral("buffer_full")
        case .endOfInput: out.appendLiteral("end_of_input")
        case .malformed: out.appendLiteral("malformed")
        }
        if record.truncated {
            out.appendLiteral(#"","weft.truncated":true"#)
        } else {
            out.appendLiteral(#"","weft.truncated":false"#)
        }
        if record.malformed { out.appendLiteral(#","weft.malformed":true"#) }
        if record.continuation { out.appendLiteral(#","weft.continuation":true"#) }
        if invalidUTF8 { out.appendLiteral(#","weft.invalid_utf8":true"#) }
        out.append(UInt8(ascii: "}"))

        if !source.resource.isEmpty {
            out.appendLiteral(#","resource":{"#)
            if id <= Self.maxCachedSourceID {
                out.append(contentsOf: sourceCache[id].unsafelyUnwrapped.resource)
            } else {
                EncodedSource.appendResource(of: source, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.appendLiteral("}\n")
    }
}

/// A source's attributes and resource, encoded once.
private struct EncodedSource {
    /// What was encoded, to notice when the caller passes a changed ``SourceInfo`` for the same id.
    var info: SourceInfo
    /// `"log.file.path":"…","key":"value",` — each pair followed by a comma (the `weft.` keys always follow).
    var attributes: [UInt8] = []
    /// `"key":"value","key":"value"` — without the braces.
    var resource: [UInt8] = []

    init(_ info: SourceInfo) {
        self.info = info
        Self.appendAttributes(of: info, to: &attributes)
        Self.appendResource(of: info, to: &resource)
    }

    static func appendAttributes(of info: SourceInfo, to out: inout [UInt8]) {
        if let path = info.path {
            out.appendLiteral(#""log.file.path":""#)
            JSONString.appendEscaped(path, to: &out)
            out.appendLiteral(#"","#)
        }
        for (key, value) in info.attributes {
            appendPair(key, value, to: &out)
            out.append(UInt8(ascii: ","))
        }
    }

    static func appendResource(of info: SourceInfo, to out: inout [UInt8]) {
        for (index, (key, value)) in info.resource.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendPair(key, value, to: &out)
        }
    }

    private static func appendPair(_ key: String, _ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        JSONString.appendEscaped(key, to: &out)
        out.appendLiteral(#"":""#)
        JSONString.appendEscaped(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}

/// The formatted date and time of the last second seen (`2026-03-14T09:00:01.`), so that records from the same second
/// only format their nine fractional digits.
private struct SecondCache {
    private var secondStart = Timestamp.none
    private var prefix: [UInt8] = []

    /// Appends `nanos` as RFC 3339 UTC with nine fractional digits, without the quotes.
    mutating func append(_ nanos: Int64, to out: inout [UInt8]) {
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000 }
        let (start, overflow) = nanos.subtractingReportingOverflow(fraction)
        if overflow || start == Timestamp.none {
            Timestamp.appendRFC3339(nanos, to: &out)  // the first second of the Int64 range
            return
        }
        if start != secondStart {
            prefix.removeAll(keepingCapacity: true)
            Timestamp.appendRFC3339(start, to: &prefix)
            prefix.removeLast(10)  // "000000000Z"
            secondStart = start
        }
        out.append(contentsOf: prefix)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { digits in
            var rest = fraction
            for index in (0..<9).reversed() {
                digits[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            }
            digits[9] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeBufferPointer(digits))
        }
    }
}
