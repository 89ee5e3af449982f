/// Why a record left the engine. Every record carries one (`weft.flush_reason`).
public enum FlushReason: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    /// The next line on its stream could not continue it.
    case nextRecord = 0
    /// Its stream was quiet for the flush timeout.
    case timeout
    /// It reached the line limit and was cut.
    case maxLines
    /// It reached the byte limit and was cut.
    case maxBytes
    /// Pending records across all streams reached the engine's total byte bound; the oldest was flushed.
    case bufferFull
    /// The input ended (EOF, shutdown).
    case endOfInput
    /// A malformed line leaves alone, at once.
    case malformed
    /// The collector was asked to stop (SIGTERM/SIGINT) while the record was pending.
    case shutdown

    /// The name written in output (`weft.flush_reason`), as a literal the encoder copies without a String.
    public var name: StaticString {
        switch self {
        case .nextRecord: "next_record"
        case .timeout: "timeout"
        case .maxLines: "max_lines"
        case .maxBytes: "max_bytes"
        case .bufferFull: "buffer_full"
        case .endOfInput: "end_of_input"
        case .malformed: "malformed"
        case .shutdown: "shutdown"
        }
    }

    public var description: String { name.description }
}

/// A finished record, lent to a ``RecordOutput`` for the duration of one `write` call.
///
/// - Important: `body` points into the engine's buffers and is valid only during `write`; an output that keeps a
///   record copies what it needs.
public struct Record {
    public var source: SourceID
    public var stream: LogStream
    /// The record's time: its first line's timestamp from the log format, or ``Timestamp/none``.
    public var time: Int64
    /// When the engine received the record's first line (the clock passed to the engine).
    public var observedTime: Int64
    /// The merged lines, joined with `\n`, without a trailing newline.
    public var body: UnsafeRawBufferPointer
    public var lineCount: Int
    /// The parser that merged it, or nil for a single ordinary line.
    public var parser: String?
    public var flushReason: FlushReason
    /// The record or one of its lines was cut at a bound.
    public var truncated: Bool
    /// A line of the record was invalid for its format and is passed on raw.
    public var malformed: Bool
    /// The record continues a trace whose earlier part left because of a bound (`max_lines`/`max_bytes`).
    public var continuation: Bool
    /// The input bytes of its lines: its first line's start to its last line's end.
    public var range: ByteRange
    /// Its place in the order records left the engine: 1 for the first, then consecutive. Outputs acknowledge by
    /// it (``Acknowledgements``).
    public var sequence: UInt64

    public init(
        source: SourceID, stream: LogStream, time: Int64, observedTime: Int64, body: UnsafeRawBufferPointer,
        lineCount: Int, parser: String?, flushReason: FlushReason, truncated: Bool = false, malformed: Bool = false,
        continuation: Bool = false, range: ByteRange = .zero, sequence: UInt64 = 0
    ) {
        self.source = source
        self.stream = stream
        self.time = time
        self.observedTime = observedTime
        self.body = body
        self.lineCount = lineCount
        self.parser = parser
        self.flushReason = flushReason
        self.truncated = truncated
        self.malformed = malformed
        self.continuation = continuation
        self.range = range
        self.sequence = sequence
    }
}
