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
/// second of the last timestamp, and keeps each source's attributes and resource and each parser's name already
/// encoded (a source is re-encoded when the ``SourceInfo`` passed for its id changes).
///
/// ```swift
/// var encoder = JSONLinesEncoder()
/// var out: [UInt8] = []
/// encoder.encode(record, source: sources[record.source], into: &out)
/// ```
public struct JSONLinesEncoder {
    public var format: OutputFormat { core.format }

    private var core: EncoderCore
    /// Where ``encode(_:source:into:)`` builds a record before appending it to the caller's array in one copy.
    private var scratch = RawBuffer(capacity: 4096)

    /// Scratch memory kept between records; a larger buffer (left by one huge record) is released.
    static let retainedScratchCapacity = 1 << 20

    public init(format: OutputFormat = .json) {
        core = EncoderCore(format: format)
    }

    /// Appends one record as one line, terminated by `\n`, to `out`.
    public mutating func encode(_ record: Record, source: SourceInfo, into out: inout [UInt8]) {
        scratch.makeUnique()
        core.encode(record, source: source, into: &scratch)
        out.write(scratch.base, count: scratch.count)
        scratch.removeAll(maxRetainedCapacity: Self.retainedScratchCapacity)
    }

    /// Appends one record as one line, terminated by `\n`, to a raw buffer (the file output's path: no extra copy).
    public mutating func encode(_ record: Record, source: SourceInfo, into out: inout RawBuffer) {
        core.encode(record, source: source, into: &out)
    }

    /// Bytes held by the per-source and per-parser cache (it must not grow with sources that came and went).
    public var cachedBytes: Int { core.fragments.heldBytes }

    /// Drops what is cached for a released source (its id may come back describing another).
    public mutating func forget(_ source: SourceID) {
        core.fragments.forget(source)
    }
}

/// The encoder's state and the encoding itself, apart from its scratch buffer so that both can be borrowed at once.
struct EncoderCore {
    let format: OutputFormat
    var timeCache = SecondCache()
    var observedCache = SecondCache()
    var fragments = FragmentCache()

    init(format: OutputFormat) {
        self.format = format
    }

    mutating func encode(_ record: Record, source: SourceInfo, into out: inout RawBuffer) {
        if format == .body {
            if let base = record.body.baseAddress { out.write(base, count: record.body.count) }
            out.write(UInt8(ascii: "\n"))
            return
        }

        if record.time != Timestamp.none {
            out.writeLiteral(#"{"timestamp":""#)
            timeCache.write(record.time, to: &out)
            out.writeLiteral(#"","#)
        } else {
            out.write(UInt8(ascii: "{"))
        }
        if record.observedTime != Timestamp.none {
            out.writeLiteral(#""observed_timestamp":""#)
            observedCache.write(record.observedTime, to: &out)
            out.writeLiteral(#"","body":""#)
        } else {
            out.writeLiteral(#""body":""#)
        }
        let invalidUTF8 = JSONString.escape(record.body, to: &out)

        switch record.stream {
        case .stdout: out.writeLiteral(#"","attributes":{"log.iostream":"stdout","#)
        case .stderr: out.writeLiteral(#"","attributes":{"log.iostream":"stderr","#)
        case .unknown: out.writeLiteral(#"","attributes":{"#)
        }
        let sourceRanges = fragments.ranges(forSource: record.source, source)
        if let sourceRanges {
            fragments.write(sourceRanges.attributes, to: &out)
        } else {
            FragmentCache.writeAttributes(of: source, to: &out)
        }
        if let parser = record.parser {
            out.writeLiteral(#""weft.parser":""#)
            if let range = fragments.range(forParser: parser) {
                fragments.write(range, to: &out)
            } else {
                JSONString.escape(parser, to: &out)
            }
            out.writeLiteral(#"","weft.lines":"#)
        } else {
            out.writeLiteral(#""weft.lines":"#)
        }
        out.writeDecimal(record.lineCount)
        out.writeLiteral(#","weft.flush_reason":""#)
        out.writeLiteral(record.flushReason.name)
        if record.truncated {
            out.writeLiteral(#"","weft.truncated":true"#)
        } else {
            out.writeLiteral(#"","weft.truncated":false"#)
        }
        if record.malformed { out.writeLiteral(#","weft.malformed":true"#) }
        if record.continuation { out.writeLiteral(#","weft.continuation":true"#) }
        if invalidUTF8 { out.writeLiteral(#","weft.invalid_utf8":true"#) }

        if source.resource.isEmpty {
            out.writeLiteral("}}\n")
        } else {
            out.writeLiteral(#"},"resource":{"#)
            if let sourceRanges {
                fragments.write(sourceRanges.resource, to: &out)
            } else {
                FragmentCache.writeResource(of: source, to: &out)
            }
            out.writeLiteral("}}\n")
        }
    }
}
