/// Which output stream of a process a line was written to.
public enum LogStream: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// Plain text input does not say (a pipe merges both streams).
    case unknown = 0
    case stdout = 1
    case stderr = 2

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .stdout: "stdout"
        case .stderr: "stderr"
        }
    }
}

/// Identifies one input (a file, standard input, a replayed capture) within a run. Index into the run's
/// ``SourceTable``.
public typealias SourceID = UInt32

/// Where a line (or a record) came from in its source: byte offsets from the start of the input, `start` at its
/// first byte, `end` just after its last byte including the line terminator. A checkpoint resumes at an offset
/// taken from these.
public struct ByteRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    @inlinable
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// The range of no bytes at offset 0 (lines that were not read from an input, such as a test's).
    public static var zero: ByteRange { ByteRange(start: 0, end: 0) }

    /// The range from the start of `self` to the end of `other` (`other` follows `self` in the same input).
    @inlinable
    public func through(_ other: ByteRange) -> ByteRange { ByteRange(start: start, end: other.end) }

    public var description: String { "\(start)..<\(end)" }
}

/// Facts about one line that travel with it through the pipeline.
public struct LineFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The line is not valid for its source's format (broken JSON, a CRI line missing fields, a bad escape):
    /// `text` holds the raw bytes and the line must leave as its own record.
    public static let malformed = LineFlags(rawValue: 1 << 0)
    /// The line was cut at a configured bound; bytes after the cut were consumed and discarded.
    public static let truncated = LineFlags(rawValue: 1 << 1)
    /// Bytes that were not valid UTF-8 were seen in the line (the encoder replaces them with U+FFFD).
    public static let invalidUTF8 = LineFlags(rawValue: 1 << 2)
}

/// One line (or one runtime chunk of a line) as it moves from decoding through partial join to multiline.
///
/// - Important: `text` borrows memory owned by the stage that produced the line; it is valid only for the duration
///   of the call it is passed to. A stage that needs to keep the bytes copies them.
public struct LogLine {
    public var source: SourceID
    public var stream: LogStream
    /// Nanoseconds since the Unix epoch (UTC) from the log format itself, or ``Timestamp/none``.
    public var time: Int64
    /// The content, without the line terminator (`\n`); a `\r` written by the application is kept.
    public var text: UnsafeRawBufferPointer
    /// The runtime split this line and more chunks follow (Docker: no trailing `\n`; CRI: tag `P`).
    public var isPartial: Bool
    public var flags: LineFlags
    /// The bytes of the input this line was read from (a rejoined line: its first chunk's start to its last chunk's
    /// end).
    public var range: ByteRange
    /// The prefix stream the line belongs to: `source` itself, or the id a prefix layer gave one stream of a pipe
    /// that interleaves many (`[pod/api-1/app] ` from `kubectl logs --prefix`). Records carry it as their source, so
    /// an output describes each prefix stream with its own attributes; offsets stay those of `source`.
    public var lane: SourceID

    @inlinable
    public init(
        source: SourceID, stream: LogStream, time: Int64 = Timestamp.none, text: UnsafeRawBufferPointer,
        isPartial: Bool = false, flags: LineFlags = [], range: ByteRange = .zero
    ) {
        self.source = source
        self.stream = stream
        self.time = time
        self.text = text
        self.isPartial = isPartial
        self.flags = flags
        self.range = range
        self.lane = source
    }
}

/// The key every stateful stage groups lines by: partials and traces never mix across sources, streams or prefix
/// streams.
public struct StreamKey: Hashable, Sendable {
    public var source: SourceID
    public var stream: LogStream
    /// The prefix stream within the source (``LogLine/lane``); `source` when the input has no prefixes.
    public var lane: SourceID

    @inlinable
    public init(source: SourceID, stream: LogStream, lane: SourceID? = nil) {
        self.source = source
        self.stream = stream
        self.lane = lane ?? source
    }
}
