import WeftCore

/// The bounds and timing of a ``MultilineEngine``. Every buffer the engine holds is bounded by one of these.
public struct MultilineConfiguration: Sendable, Equatable {
    /// A stream's pending record leaves after its stream has been quiet this long (nanoseconds).
    ///
    /// An idle timer, reset by every line of the stream, not a record age: a trace printed over several seconds
    /// still merges as long as its lines keep coming. Runtimes print a trace within microseconds, so one second
    /// keeps `kubectl logs -f | weft` responsive while leaving a large margin for a slow writer.
    public var flushTimeout: Int64 = 1_000_000_000
    /// The longest pause between two lines of one trace (nanoseconds; 0: no limit). Runtimes print a trace in one
    /// burst; the application's next line usually comes later. So a *weak* join (a catch-all continuation of a
    /// message, a log line taken as a trace's header, a line on trial, an indented detail after a header line) does
    /// not happen across a longer gap; strong rules (a `\tat` frame) are never judged by time. The gap is between the
    /// lines' own timestamps when both have one (Docker, CRI, a leading timestamp; deterministic in replay), else
    /// between their arrivals.
    ///
    /// Measured on this project's 2-core machine with four busy processes beside the runtimes, lines stamped as they
    /// came out of the pipe, as a runtime's log copier does: the longest gap inside the output of Python (which
    /// writes a traceback line by line) was 88 ms, p99.9 20 ms; Java's and Node's came in single writes (0 ms). A
    /// container throttled by its CPU quota can also stall for up to the CFS period (100 ms). 250 ms covers both
    /// with margin and is shorter than the pause before most next log lines.
    public var burstWindow: Int64 = 250_000_000
    /// A record is cut (and marked truncated) when a line would make it longer than this many lines.
    ///
    /// The deepest trace a default-configured runtime prints is the JVM's: it keeps the innermost 1024 frames of a
    /// throwable (`-XX:MaxJavaStackTraceDepth=1024`), so an uncaught `StackOverflowError` is 1025 lines and one that
    /// is wrapped and logged through java.util.logging 1031 (`Samples/java/stack_overflow.log`). Twice that depth
    /// holds such a trace whole with room for a wrapper's own frames, `Caused by:` lines and a logger's header.
    /// Python folds repeated frames, Ruby elides levels, Go elides a goroutine's frames past 100 and Node keeps 10,
    /// so their traces stay far below it (a Go dump of every goroutine grows with their number, not their depth).
    /// Memory stays bounded by ``maxBytes``.
    public var maxLines = 2048
    /// A record is cut (and marked truncated) when a line would make its body longer than this many bytes; a single
    /// longer line is itself cut.
    public var maxBytes = 1 << 20
    /// Total bytes held in pending records across all streams; past it the stream quiet for longest is flushed.
    public var maxPendingBytes = 16 << 20
    /// Open (source, stream) pairs; past it the stream quiet for longest is flushed and forgotten.
    public var maxStreams = 4096
    /// Lines a record may hold on trial (`tentative` rules) before the trial fails. Bounds how often a line can be
    /// read again when trials keep failing.
    public var maxTentativeLines = 64
    /// PCRE2's match limit for one rule on one line: the work a pathological pattern (`(a+)+$`) may do before the
    /// rule is treated as not matching and the line counted. At the default a hopeless line costs well under a
    /// millisecond; raise it for very long lines with complex rules.
    public var regexMatchLimit: UInt32 = 200_000
    /// The match limit of a rule once it has hit `regexMatchLimit` (catastrophic backtracking): from then on each
    /// hopeless line costs it a few microseconds instead of most of a millisecond, and the lines around it keep
    /// their speed. Rules that never hit the limit are not affected.
    public var regexProbationLimit: UInt32 = 500

    public init() {}

    public init(flushTimeout: Int64, maxLines: Int = 2048, maxBytes: Int = 1 << 20) {
        self.flushTimeout = flushTimeout
        self.maxLines = maxLines
        self.maxBytes = maxBytes
    }
}

/// What happened to a line inside the engine, for `--explain`.
public enum ExplainEvent: Sendable, Equatable {
    /// The line continued the open record of `parser` through rule `rule` of `state`.
    case continued(
        StreamKey, line: String, parser: String, state: String, rule: Int, pattern: String, next: String,
        tentative: Bool)
    /// The line started a record of `parser` (rule `rule` of its `start` state); `header` when the held line before
    /// it was taken as the record's first line.
    case started(StreamKey, line: String, parser: String, rule: Int, pattern: String, next: String, header: Bool)
    /// The line matched no parser's start rule; it is held as an ordinary line (it may still be a trace's header).
    case ordinary(StreamKey, line: String)
    /// A record left the engine.
    case ended(StreamKey, reason: FlushReason, lines: Int, parser: String?, why: String)
}

/// Counters kept by the engine (the run summary and, later, metrics).
public struct MultilineStatistics: Sendable, Equatable {
    public var linesIn = 0
    public var records = 0
    /// Records by ``FlushReason`` raw value.
    public var recordsByReason = [Int](repeating: 0, count: FlushReason.allCases.count)
    /// Multi-line records by parser name.
    public var recordsByParser: [String: Int] {
        var named: [String: Int] = [:]
        for (name, count) in zip(parserNames, recordsByParserIndex) where count > 0 { named[name, default: 0] += count }
        return named
    }
    /// Multi-line records by the parser's position in the engine's ``ParserSet``: counted per record, where hashing
    /// the name into a dictionary was a measurable part of a record's cost.
    var recordsByParserIndex: [Int] = []
    var parserNames: [String] = []
    public var truncatedRecords = 0
    public var malformedLines = 0
}
