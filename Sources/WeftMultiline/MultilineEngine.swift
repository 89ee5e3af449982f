import WeftCore
import WeftRegex

/// The multiline stage: merges the lines of each stack trace into one record, per (source, stream).
///
/// A pure state machine: no I/O, no threads, no clock of its own. Callers pass the time with every call, so a test
/// drives it with a manual clock and replay drives it with the log's own timestamps:
///
/// ```swift
/// var engine = MultilineEngine(parsers: try .make(), configuration: .init())
/// try engine.push(line, now: clock.now, into: &output)      // records that the line completes
/// try engine.advance(to: clock.now, into: &output)          // records whose stream went quiet
/// try engine.finish(into: &output)                          // everything still pending
/// ```
///
/// Every record carries the byte range of its lines (``Record/range``) and a ``Record/sequence``; the engine answers
/// where each source's oldest pending line starts (``forEachPendingStart(_:)``), which is what holds a checkpoint.
///
/// How a line is decided: if its stream has an open record, the rules of the record's current state are tried in
/// order; the first that matches takes the line and moves the record to its next state. If none matches, the record
/// leaves (`next_record`) and the line is tried against every parser's `start` rules. A line that starts nothing is
/// held as an ordinary one-line record until the next line of its stream arrives, because it may be the message
/// line that introduces a trace (a parser's `header`).
///
/// - Important: Memory is bounded by ``MultilineConfiguration``: bytes and lines per record, total pending bytes,
///   and number of streams. Reaching a bound cuts or flushes with a reason; it never blocks and never drops a line.
public struct MultilineEngine {
    public let parsers: ParserSet
    public let configuration: MultilineConfiguration
    /// Receives a description of every decision when set (`--explain`). Costs nothing when nil.
    public var explain: ((ExplainEvent) -> Void)?
    public internal(set) var statistics = MultilineStatistics()

    let matcher: Matcher
    /// The rule sets the hot path uses, unretained (`parsers` keeps them alive): retain/release per line showed up
    /// as a tenth of the time in profiles.
    private let startRules: Unmanaged<AlternationSet>
    let stateRules: [Unmanaged<AlternationSet>]
    /// Every open (source, stream) with its pending record (MultilineEngine+Streams.swift).
    var streams = StreamTable()
    /// Bytes held in pending records, across streams.
    var pendingBytes = 0
    var nextDeadline = Int64.max
    /// Where lines taken on trial are copied before they are read again.
    var refeed = RawBuffer(capacity: 256)

    public init(parsers: ParserSet, configuration: MultilineConfiguration = .init()) {
        self.parsers = parsers
        self.configuration = configuration
        matcher = Matcher(
            matchLimit: configuration.regexMatchLimit, probationLimit: configuration.regexProbationLimit)
        startRules = Unmanaged.passUnretained(parsers.startRules)
        stateRules = parsers.states.map { Unmanaged.passUnretained($0.rules) }
        statistics.parserNames = parsers.parsers.map(\.file.name)
        statistics.recordsByParserIndex = [Int](repeating: 0, count: parsers.parsers.count)
    }

    /// Bytes held in pending records right now.
    public var pendingByteCount: Int { pendingBytes }
    /// Open (source, stream) pairs, pending or idle (bounded by ``MultilineConfiguration/maxStreams``).
    public var streamCount: Int { streams.count }
    /// The ``Record/sequence`` of the last record emitted (0 before the first).
    public var lastSequence: UInt64 { UInt64(statistics.records) }
    /// Regex matches that hit the match limit (a pathological rule); each counted line was treated as not matching.
    public var matchLimitHits: Int { matcher.limitHits }
    /// The earliest time at which ``advance(to:into:)`` would flush something (for a poll timeout), or nil.
    public var nextFlushDeadline: Int64? {
        var earliest = Int64.max
        for stream in streams.all where stream.slot.lines > 0 {
            earliest = min(earliest, stream.slot.lastSeen &+ configuration.flushTimeout)
        }
        return earliest == .max ? nil : earliest
    }

    /// Calls `body` with the source and input offset of the first line of every pending record: bytes from there
    /// on have not all left in records.
    public func forEachPendingStart(_ body: (SourceID, Int64) -> Void) {
        for stream in streams.all where stream.slot.lines > 0 { body(stream.slot.key.source, stream.slot.range.start) }
    }

    /// Whether any stream of `source` holds a pending record.
    public func hasPending(source: SourceID) -> Bool {
        streams.all.contains { $0.slot.key.source == source && $0.slot.lines > 0 }
    }

    /// Whether any stream of the prefix stream `lane` (``WeftCore/LogLine/lane``) holds a pending record.
    public func hasPending(lane: SourceID) -> Bool {
        streams.all.contains { $0.slot.key.lane == lane && $0.slot.lines > 0 }
    }

    // MARK: - Pushing lines

    /// Takes one whole line (partials already rejoined) and emits the records it completes.
    public mutating func push<O: RecordOutput>(_ line: LogLine, now: Int64, into output: inout O) throws(O.Failure) {
        statistics.linesIn += 1
        let index = try stream(for: StreamKey(source: line.source, stream: line.stream, lane: line.lane), into: &output)
        if now &+ configuration.flushTimeout < nextDeadline { nextDeadline = now &+ configuration.flushTimeout }
        let entry = TrialLine(length: line.text.count, time: line.time, flags: line.flags, range: line.range, now: now)

        if line.flags.contains(.malformed) {
            // A malformed line leaves alone, at once, after whatever its stream was holding.
            statistics.malformedLines += 1
            try end(index, reason: .nextRecord, why: "a malformed line follows", into: &output)
            try open(index, parser: -1, state: -1, text: line.text, line: entry, into: &output)
            streams[index].slot.malformed = true
            try end(index, reason: .malformed, why: "malformed lines are records of their own", into: &output)
            return
        }
        try process(index, text: line.text, line: entry, into: &output)
    }

    /// Flushes every record whose stream has been quiet for the flush timeout as of `now`.
    public mutating func advance<O: RecordOutput>(to now: Int64, into output: inout O) throws(O.Failure) {
        guard now >= nextDeadline else { return }
        nextDeadline = .max
        for index in streams.indices {
            while streams[index].slot.lines > 0 {
                let deadline = streams[index].slot.lastSeen &+ configuration.flushTimeout
                if deadline > now {
                    nextDeadline = min(nextDeadline, deadline)
                    break
                }
                let (parser, state) = (streams[index].slot.parser, streams[index].slot.state)
                try end(index, reason: .timeout, why: "stream quiet for the flush timeout", into: &output)
                if parser >= 0 && state >= 0 && streams[index].slot.lines == 0 {
                    streams[index].slot.resumeParser = parser
                    streams[index].slot.resumeState = state
                }
            }
        }
    }

    /// The caller's clock stepped by `delta` nanoseconds (back, when negative: the wall clock set back by an operator
    /// or NTP). The arrival times the engine keeps move with it, so a quiet stream's record still leaves one flush
    /// timeout after its last line, and the burst window still measures the real gap, instead of both waiting for the
    /// clock to catch up with the old times (an hour, for a clock set back an hour). Record times are not touched.
    public mutating func clockStepped(by delta: Int64) {
        for index in streams.indices {
            streams[index].slot.lastSeen &+= delta
            for entry in streams[index].trial.indices { streams[index].trial[entry].now &+= delta }
        }
        if nextDeadline != .max { nextDeadline &+= delta }
    }

    /// Flushes everything (end of input, or `reason` `.shutdown` when the collector stops).
    public mutating func finish<O: RecordOutput>(
        reason: FlushReason = .endOfInput, into output: inout O
    ) throws(O.Failure) {
        for index in streams.indices {
            while streams[index].slot.lines > 0 {
                try end(index, reason: reason, why: reason == .shutdown ? "shutdown" : "end of input", into: &output)
            }
        }
        nextDeadline = .max
    }

    /// Flushes the pending records of one prefix stream (``WeftCore/LogLine/lane``) of `source`, which is being let
    /// go to make room for another, and forgets that source's idle streams.
    public mutating func finish<O: RecordOutput>(
        lane: SourceID, of source: SourceID, reason: FlushReason, into output: inout O
    ) throws(O.Failure) {
        for index in streams.indices where streams[index].slot.key.lane == lane {
            while streams[index].slot.lines > 0 {
                try end(index, reason: reason, why: "too many prefix streams", into: &output)
            }
        }
        streams.removeIdle(of: source)
    }

    /// Flushes the pending records of one source (its input ended and it is being let go) and forgets its streams.
    public mutating func finish<O: RecordOutput>(source: SourceID, into output: inout O) throws(O.Failure) {
        for index in streams.indices where streams[index].slot.key.source == source {
            while streams[index].slot.lines > 0 {
                try end(index, reason: .endOfInput, why: "end of input", into: &output)
            }
        }
        streams.removeIdle(of: source)
    }

    /// Forgets the idle streams of a source that is gone (its pending records, if any, stay until they leave).
    public mutating func forgetStreams(of source: SourceID) {
        streams.removeIdle(of: source)
    }

    // MARK: - The state machine

    mutating func process<O: RecordOutput>(
        _ index: Int, text: UnsafeRawBufferPointer, line: TrialLine, into output: inout O
    ) throws(O.Failure) {
        let subject = Self.matchView(text)
        let slot = streams[index].slot
        if slot.resumeState >= 0 {
            streams[index].slot.resumeState = -1
            if slot.lines == 0,
                try resume(
                    index, parser: slot.resumeParser, state: slot.resumeState, text: text,
                    subject: subject, line: line, into: &output)
            {
                return
            }
        }
        if slot.lines > 0 && slot.state >= 0 {
            let flat = parsers.flatIndex(parser: slot.parser, state: slot.state)
            let match = stateRules[flat]._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) }
            if let rule = match {
                let tentative = parsers.states[flat].tentative[rule]
                let weak = parsers.states[flat].weak[rule]
                // A weak rule (a catch-all continuation) never takes the first line of another trace, nor a line
                // after a pause longer than a burst; a trial that grew too long fails, and so does one across such
                // a pause. Either way the record ends and the line is read afresh.
                let paused = (weak || tentative) ? pause(index, line) : nil
                let refused: String? =
                    paused != nil
                    ? "gap \(paused! / 1_000_000) ms > burst window: a \(weak ? "weak" : "tentative") rule does not join"
                    : weak && startsTrace(subject)
                        ? "line starts a trace; a weak rule does not take it"
                        : tentative && slot.lines - slot.committedLines >= configuration.maxTentativeLines
                            ? "more than \(configuration.maxTentativeLines) lines on trial" : nil
                if let refused {
                    let set = parsers
                    try end(
                        index, reason: .nextRecord,
                        why: "\(refused) (state \(set.stateName(parser: slot.parser, state: slot.state)))",
                        into: &output)
                    try afterEnd(index, text: text, subject: subject, line: line, into: &output)
                    return
                }
                let next = parsers.states[flat].next[rule]
                if let explain {
                    let state = parsers.states[flat]
                    explain(
                        .continued(
                            slot.key, line: String(decoding: text, as: UTF8.self),
                            parser: parsers.parsers[Int(slot.parser)].file.name, state: state.name, rule: rule,
                            pattern: state.rules.patterns[rule].source,
                            next: parsers.states[parsers.flatIndex(parser: slot.parser, state: next)].name,
                            tentative: tentative))
                }
                if tentative && !slot.hasTentative {
                    commit(index)  // the trial starts after what the record holds now
                }
                try append(index, text: text, line: line, into: &output)
                if tentative {
                    // Kept to read it again, as it was, if the trial fails. Cut to the record bound here rather than
                    // returned by append: returning the line from every append cost 2.8 M instructions per 20 MB of plain text
                    // (callgrind), the second cut costs only lines on trial.
                    streams[index].trial.append(bounded(text, line).1)
                } else {
                    commit(index)
                }
                streams[index].slot.state = next
                return
            }
            let set = parsers
            try end(
                index, reason: .nextRecord,
                why: "line matched no rule of state \(set.stateName(parser: slot.parser, state: slot.state))",
                into: &output)
            try afterEnd(index, text: text, subject: subject, line: line, into: &output)
            return
        }
        try start(index, text: text, subject: subject, line: line, into: &output)
    }

    /// The line after a record ended before it. Ending reads the lines the record held on trial again, and they may
    /// have opened a trace of another parser (a JUL message's throwable on trial that is really Mono's exception, its
    /// frames following): the line is then tried against that trace's state first, as any next line would be.
    private mutating func afterEnd<O: RecordOutput>(
        _ index: Int, text: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer, line: TrialLine,
        into output: inout O
    ) throws(O.Failure) {
        let slot = streams[index].slot
        if slot.lines > 0 && slot.parser >= 0 && slot.state >= 0 {
            try process(index, text: text, line: line, into: &output)
        } else {
            try start(index, text: text, subject: subject, line: line, into: &output)
        }
    }

    /// The first line after a flush timeout cut a trace: when a strong rule of the trace's state takes it (a frame,
    /// `Caused by:`, an indented code line), the trace goes on in a record marked `continuation`, as after a cut at
    /// a bound, instead of one record per line. Weak and tentative rules do not resume, and neither does a line that
    /// the trace's own parser would start a new trace with: Ruby prints a cause exactly like a new error
    /// (`file.rb:3:in 'm': msg (Class)`), so after a pause that line is the next error, not the old one going on.
    private mutating func resume<O: RecordOutput>(
        _ index: Int, parser: Int32, state: Int32, text: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer,
        line: TrialLine, into output: inout O
    ) throws(O.Failure) -> Bool {
        let flat = parsers.flatIndex(parser: parser, state: state)
        guard let rule = stateRules[flat]._withUnsafeGuaranteedRef({ $0.firstMatch(in: subject, using: matcher) }),
            !parsers.states[flat].weak[rule], !parsers.states[flat].tentative[rule]
        else { return false }
        if let started = startRules._withUnsafeGuaranteedRef({ $0.firstMatch(in: subject, using: matcher) }),
            parsers.startIndex[started].0 == parser
        {
            return false
        }
        let next = parsers.states[flat].next[rule]
        if let explain {
            let states = parsers.states
            explain(
                .continued(
                    streams[index].slot.key, line: String(decoding: text, as: UTF8.self),
                    parser: parsers.parsers[Int(parser)].file.name, state: states[flat].name, rule: rule,
                    pattern: states[flat].rules.patterns[rule].source,
                    next: states[parsers.flatIndex(parser: parser, state: next)].name, tentative: false))
        }
        try open(index, parser: parser, state: next, text: text, line: line, into: &output)
        streams[index].slot.continuation = true
        return true
    }

    private mutating func start<O: RecordOutput>(
        _ index: Int, text: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer, line: TrialLine,
        into output: inout O
    ) throws(O.Failure) {
        let started = startRules._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) }
        guard let match = started else {
            if isIndented(subject) && heldLineIsHeader(index) && pause(index, line) == nil {
                // A logger's multi-line message (`ERROR:root:failed:` then indented details) keeps gathering
                // while it waits for the trace it may introduce.
                explain?(.ordinary(streams[index].slot.key, line: String(decoding: text, as: UTF8.self)))
                try append(index, text: text, line: line, into: &output)
                commit(index)
                return
            }
            try end(index, reason: .nextRecord, why: "held line: the next line started no trace", into: &output)
            explain?(.ordinary(streams[index].slot.key, line: String(decoding: text, as: UTF8.self)))
            try open(index, parser: -1, state: -1, text: text, line: line, into: &output)
            return
        }
        let (parserIndex, rule) = parsers.startIndex[match]
        let parser = parsers.parsers[Int(parserIndex)]
        let startState = parsers.states[
            parsers.flatIndex(parser: parserIndex, state: parsers.startState[Int(parserIndex)])]
        let next = startState.next[Int(rule)]
        var header = false
        var paused: Int64?
        let slot = streams[index].slot
        if slot.lines > 0, slot.parser < 0, startState.takesHeader[Int(rule)], !parser.header.isEmpty {
            let held = streams[index].body.bytes
            header = parser.header.firstMatch(in: Self.matchView(Self.firstLine(held)), using: matcher) != nil
            if header, let gap = pause(index, line) {
                header = false  // printed well before the trace: not what introduces it
                paused = gap
            }
        }
        explain?(
            .started(
                slot.key, line: String(decoding: text, as: UTF8.self), parser: parser.file.name,
                rule: Int(rule), pattern: startState.rules.patterns[Int(rule)].source,
                next: parsers.states[parsers.flatIndex(parser: parserIndex, state: next)].name, header: header))
        if header {
            streams[index].slot.parser = parserIndex
            try append(index, text: text, line: line, into: &output)
        } else {
            try end(
                index, reason: .nextRecord,
                why: paused.map {
                    "held line: gap \($0 / 1_000_000) ms > burst window before the trace it would introduce"
                }
                    ?? "held line: the next line started a trace it does not introduce",
                into: &output)
            try open(index, parser: parserIndex, state: next, text: text, line: line, into: &output)
        }
        streams[index].slot.state = next
        commit(index)
    }

    /// The gap before `line` when it is longer than the burst window (nil otherwise, or with no window): between
    /// the log times of the record's last line and this one when both have one, else between their arrivals.
    @inline(__always)
    private func pause(_ index: Int, _ line: TrialLine) -> Int64? {
        guard configuration.burstWindow > 0 else { return nil }
        let slot = streams[index].slot
        let gap =
            line.time != Timestamp.none && slot.lastTime != Timestamp.none
            ? line.time &- slot.lastTime : line.now &- slot.lastSeen
        return gap > configuration.burstWindow ? gap : nil
    }

    private func startsTrace(_ subject: UnsafeRawBufferPointer) -> Bool {
        startRules._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) } != nil
    }

    /// Whether the held ordinary record's first line matches some parser's header (asked only when an indented line
    /// follows it, so ordinary lines cost no header match).
    private mutating func heldLineIsHeader(_ index: Int) -> Bool {
        let slot = streams[index].slot
        guard slot.lines > 0, slot.parser < 0, slot.state < 0, !slot.malformed, !parsers.anyHeader.isEmpty else {
            return false
        }
        let held = streams[index].body.bytes
        return parsers.anyHeader.firstMatch(in: Self.matchView(Self.firstLine(held)), using: matcher) != nil
    }

    // MARK: - Bytes

    /// A line that starts with white space and has something after it.
    @inline(__always)
    func isIndented(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let first = text.first, first == 0x20 || first == 0x09 else { return false }
        return text.contains { $0 != 0x20 && $0 != 0x09 }
    }

    /// The bytes before the first `\n`.
    static func firstLine(_ body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let newline = body.firstIndex(of: 0x0A) else { return body }
        return UnsafeRawBufferPointer(rebasing: body[..<newline])
    }

    /// The bytes rules see: the line without a trailing `\r` (CRI-O and TTY output keep it; rules should not care).
    @inline(__always)
    static func matchView(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = text.last, last == 0x0D {
            return UnsafeRawBufferPointer(rebasing: text[..<(text.count - 1)])
        }
        return text
    }
}
