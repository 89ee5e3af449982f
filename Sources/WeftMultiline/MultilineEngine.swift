import WeftCore
import WeftRegex

/// The multiline stage: merges the lines of each stack trace into one record, per (source, stream).
///
/// A pure state machine: no I/O, no threads, no clock of its own. Callers pass the time with every call, so a test
/// drives it with a manual clock and replay drives it with the log's own timestamps:
///
/// ```swift
/// var engine = MultilineEngine(parsers: try .builtIn(), configuration: .init())
/// engine.push(line, now: clock.now, into: &sink)      // records that the line completes
/// engine.advance(to: clock.now, into: &sink)          // records whose stream went quiet
/// engine.finish(into: &sink)                          // everything still pending
/// ```
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
    public private(set) var statistics = MultilineStatistics()

    private let matcher: Matcher
    /// The rule sets the hot path uses, unretained (`parsers` keeps them alive): retain/release per line showed up
    /// as a tenth of the time in profiles.
    private let startRules: Unmanaged<AlternationSet>
    private let stateRules: [Unmanaged<AlternationSet>]
    /// Per-stream state (plain values, cheap to copy) and, at the same index, the pending record's bytes.
    private var slots: [Slot] = []
    private var bodies: [RawBuffer] = []
    private var slotIndex: [StreamKey: Int] = [:]
    private var lastKey = StreamKey(source: .max, stream: .unknown)
    private var lastSlot = -1
    private var pendingBytes = 0
    private var nextDeadline = Int64.max
    private var refeed: [UInt8] = []
    /// A stream's record buffer starts this small and is given back past this size when its record leaves.
    static var initialBodyCapacity: Int { 256 }
    static var retainedBodyCapacity: Int { 64 * 1024 }

    /// One (source, stream): its pending record and where its state machine is.
    struct Slot {
        var key: StreamKey
        var lines = 0
        /// -1 while the record is an ordinary held line.
        var parser: Int32 = -1
        var state: Int32 = -1
        var time = Timestamp.none
        var observed: Int64 = 0
        var lastSeen: Int64 = 0
        var truncated = false
        var malformed = false
        var continuation = false
        /// Body length and line count before the lines taken on trial (`tentative` rules).
        var committedBytes = 0
        var committedLines = 0
        var tentativeTime = Timestamp.none

        init(key: StreamKey) { self.key = key }
        var hasTentative: Bool { committedLines < lines }
    }

    public init(parsers: ParserSet, configuration: MultilineConfiguration = .init()) {
        self.parsers = parsers
        self.configuration = configuration
        matcher = Matcher(
            matchLimit: configuration.regexMatchLimit, probationLimit: configuration.regexProbationLimit)
        startRules = Unmanaged.passUnretained(parsers.startRules)
        stateRules = parsers.states.map { Unmanaged.passUnretained($0.rules) }
    }

    /// Bytes held in pending records right now.
    public var pendingByteCount: Int { pendingBytes }
    /// Regex matches that hit the match limit (a pathological rule); each counted line was treated as not matching.
    public var matchLimitHits: Int { matcher.limitHits }
    /// The earliest time at which ``advance(to:into:)`` would flush something (for a poll timeout), or nil.
    public var nextFlushDeadline: Int64? {
        var earliest = Int64.max
        for slot in slots where slot.lines > 0 {
            earliest = min(earliest, slot.lastSeen &+ configuration.flushTimeout)
        }
        return earliest == .max ? nil : earliest
    }

    // MARK: - Pushing lines

    /// Takes one whole line (partials already rejoined) and emits the records it completes.
    public mutating func push<S: RecordSink>(_ line: LogLine, now: Int64, into sink: inout S) {
        statistics.linesIn += 1
        let index = slot(for: StreamKey(source: line.source, stream: line.stream), into: &sink)
        if now &+ configuration.flushTimeout < nextDeadline { nextDeadline = now &+ configuration.flushTimeout }

        if line.flags.contains(.malformed) {
            // A malformed line leaves alone, at once, after whatever its stream was holding.
            statistics.malformedLines += 1
            end(index, reason: .nextRecord, why: "a malformed line follows", into: &sink)
            open(
                index, parser: -1, state: -1, text: line.text, time: line.time, flags: line.flags, now: now,
                into: &sink)
            slots[index].malformed = true
            end(index, reason: .malformed, why: "malformed lines are records of their own", into: &sink)
            return
        }
        process(index, text: line.text, time: line.time, flags: line.flags, now: now, into: &sink)
    }

    /// Flushes every record whose stream has been quiet for the flush timeout as of `now`.
    public mutating func advance<S: RecordSink>(to now: Int64, into sink: inout S) {
        guard now >= nextDeadline else { return }
        nextDeadline = .max
        for index in slots.indices {
            while slots[index].lines > 0 {
                let deadline = slots[index].lastSeen &+ configuration.flushTimeout
                if deadline > now {
                    nextDeadline = min(nextDeadline, deadline)
                    break
                }
                end(index, reason: .timeout, why: "stream quiet for the flush timeout", into: &sink)
            }
        }
    }

    /// Flushes everything (end of input or shutdown).
    public mutating func finish<S: RecordSink>(into sink: inout S) {
        for index in slots.indices {
            while slots[index].lines > 0 {
                end(index, reason: .endOfInput, why: "end of input", into: &sink)
            }
        }
        nextDeadline = .max
    }

    // MARK: - The state machine

    private mutating func process<S: RecordSink>(
        _ index: Int, text: UnsafeRawBufferPointer, time: Int64, flags: LineFlags, now: Int64, into sink: inout S
    ) {
        let subject = Self.matchView(text)
        let slot = slots[index]
        if slot.lines > 0 && slot.state >= 0 {
            let flat = parsers.flatIndex(parser: slot.parser, state: slot.state)
            let match = stateRules[flat]._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) }
            if let rule = match {
                let tentative = parsers.states[flat].tentative[rule]
                // A weak rule (a catch-all continuation) never takes the first line of another trace; a trial
                // that grew too long fails. Either way the record ends and the line is read afresh.
                let refused: String? =
                    parsers.states[flat].weak[rule] && startsTrace(subject)
                    ? "line starts a trace; a weak rule does not take it"
                    : tentative && slot.lines - slot.committedLines >= configuration.maxTentativeLines
                        ? "more than \(configuration.maxTentativeLines) lines on trial" : nil
                if let refused {
                    let set = parsers
                    end(
                        index, reason: .nextRecord,
                        why: "\(refused) (state \(set.stateName(parser: slot.parser, state: slot.state)))",
                        into: &sink)
                    start(index, text: text, subject: subject, time: time, flags: flags, now: now, into: &sink)
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
                    slots[index].tentativeTime = time
                }
                append(index, text: text, flags: flags, now: now, into: &sink)
                if !tentative { commit(index) }
                slots[index].state = next
                return
            }
            let set = parsers
            end(
                index, reason: .nextRecord,
                why: "line matched no rule of state \(set.stateName(parser: slot.parser, state: slot.state))",
                into: &sink)
        }
        start(index, text: text, subject: subject, time: time, flags: flags, now: now, into: &sink)
    }

    private mutating func start<S: RecordSink>(
        _ index: Int, text: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer, time: Int64, flags: LineFlags,
        now: Int64, into sink: inout S
    ) {
        let started = startRules._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) }
        guard let match = started else {
            if isIndented(subject) && heldLineIsHeader(index) {
                // A logger's multi-line message (`ERROR:root:failed:` then indented details) keeps gathering
                // while it waits for the trace it may introduce.
                explain?(.ordinary(slots[index].key, line: String(decoding: text, as: UTF8.self)))
                append(index, text: text, flags: flags, now: now, into: &sink)
                commit(index)
                return
            }
            end(index, reason: .nextRecord, why: "held line: the next line started no trace", into: &sink)
            explain?(.ordinary(slots[index].key, line: String(decoding: text, as: UTF8.self)))
            open(index, parser: -1, state: -1, text: text, time: time, flags: flags, now: now, into: &sink)
            return
        }
        let (parserIndex, rule) = parsers.startIndex[match]
        let parser = parsers.parsers[Int(parserIndex)]
        let startState = parsers.states[
            parsers.flatIndex(parser: parserIndex, state: parsers.startState[Int(parserIndex)])]
        let next = startState.next[Int(rule)]
        var header = false
        if slots[index].lines > 0, slots[index].parser < 0, startState.takesHeader[Int(rule)], !parser.header.isEmpty {
            let held = bodies[index].bytes
            header = parser.header.firstMatch(in: Self.matchView(Self.firstLine(held)), using: matcher) != nil
        }
        explain?(
            .started(
                slots[index].key, line: String(decoding: text, as: UTF8.self), parser: parser.file.name,
                rule: Int(rule), pattern: startState.rules.patterns[Int(rule)].source,
                next: parsers.states[parsers.flatIndex(parser: parserIndex, state: next)].name, header: header))
        if header {
            slots[index].parser = parserIndex
            append(index, text: text, flags: flags, now: now, into: &sink)
        } else {
            end(
                index, reason: .nextRecord, why: "held line: the next line started a trace it does not introduce",
                into: &sink)
            open(index, parser: parserIndex, state: next, text: text, time: time, flags: flags, now: now, into: &sink)
        }
        slots[index].state = next
        commit(index)
    }

    // MARK: - Record buffers

    private mutating func open<S: RecordSink>(
        _ index: Int, parser: Int32, state: Int32, text: UnsafeRawBufferPointer, time: Int64, flags: LineFlags,
        now: Int64, into sink: inout S
    ) {
        slots[index].parser = parser
        slots[index].state = state
        slots[index].time = time
        slots[index].observed = now
        slots[index].truncated = false
        slots[index].malformed = false
        slots[index].continuation = false
        append(index, text: text, flags: flags, now: now, into: &sink)
        commit(index)
    }

    private mutating func commit(_ index: Int) {
        slots[index].committedBytes = bodies[index].count
        slots[index].committedLines = slots[index].lines
    }

    /// Appends a line to a slot's record, cutting at the line and byte bounds.
    private mutating func append<S: RecordSink>(
        _ index: Int, text: UnsafeRawBufferPointer, flags: LineFlags, now: Int64, into sink: inout S
    ) {
        var text = text
        if slots[index].lines > 0 {
            let cutLines = slots[index].lines >= configuration.maxLines
            let cutBytes = bodies[index].count + 1 + text.count > configuration.maxBytes
            if cutLines || cutBytes {
                cut(index, reason: cutLines ? .maxLines : .maxBytes, into: &sink)
            }
        }
        if text.count > configuration.maxBytes {
            text = UnsafeRawBufferPointer(rebasing: text[..<UTF8Bytes.cut(atMost: configuration.maxBytes) { text[$0] }])
            slots[index].truncated = true
        }
        if flags.contains(.truncated) { slots[index].truncated = true }
        let before = bodies[index].count
        bodies[index].makeUnique()  // a copy of the engine shares its buffers until one of them writes
        if slots[index].lines > 0 { bodies[index].write(0x0A) }
        if let base = text.baseAddress { bodies[index].write(base, count: text.count) }
        slots[index].lines += 1
        slots[index].lastSeen = now
        pendingBytes += bodies[index].count - before
        if pendingBytes > configuration.maxPendingBytes { relievePressure(sparing: index, into: &sink) }
    }

    /// Emits what a slot holds because it reached a bound, and keeps the trace going in a continuation record.
    private mutating func cut<S: RecordSink>(_ index: Int, reason: FlushReason, into sink: inout S) {
        let (parser, state, time) = (slots[index].parser, slots[index].state, slots[index].time)
        commit(index)  // a cut keeps lines taken on trial: the trace is long, not ended
        slots[index].truncated = true
        emit(
            index, reason: reason, why: "record reached its \(reason == .maxLines ? "line" : "byte") limit", into: &sink
        )
        slots[index].parser = parser
        slots[index].state = state
        slots[index].time = time
        slots[index].continuation = true
    }

    private mutating func relievePressure<S: RecordSink>(sparing current: Int, into sink: inout S) {
        while pendingBytes > configuration.maxPendingBytes {
            // The current record alone is bounded by maxBytes.
            guard let oldest = quietestPendingSlot(sparing: current) else { return }
            emit(oldest, reason: .bufferFull, why: "pending records reached the total byte bound", into: &sink)
        }
    }

    /// Ends a slot's record: emits it without any lines taken on trial, then reads those lines again.
    private mutating func end<S: RecordSink>(
        _ index: Int, reason: FlushReason, why: @autoclosure () -> String, into sink: inout S
    ) {
        guard slots[index].lines > 0 else { return }
        if !slots[index].hasTentative {
            emit(index, reason: reason, why: why(), into: &sink)
            return
        }
        // Keep the trial lines aside, emit the record without them, then process them as new lines.
        let committedBytes = slots[index].committedBytes
        let lastSeen = slots[index].lastSeen
        let time = slots[index].tentativeTime
        refeed.removeAll(keepingCapacity: true)
        refeed.append(contentsOf: bodies[index].bytes[(committedBytes + 1)...])
        pendingBytes -= bodies[index].count - committedBytes
        bodies[index].removeSuffix(from: committedBytes)
        slots[index].lines = slots[index].committedLines
        emit(index, reason: reason, why: why(), into: &sink)
        let lines = refeed
        lines.withUnsafeBytes { all in
            var start = 0
            for position in 0...all.count where position == all.count || all[position] == 0x0A {
                let text = UnsafeRawBufferPointer(rebasing: all[start..<position])
                process(index, text: text, time: time, flags: [], now: lastSeen, into: &sink)
                start = position + 1
            }
        }
    }

    private mutating func emit<S: RecordSink>(
        _ index: Int, reason: FlushReason, why: @autoclosure () -> String, into sink: inout S
    ) {
        let slot = slots[index]
        let parserName = slot.parser >= 0 && slot.lines > 1 ? parsers.parsers[Int(slot.parser)].file.name : nil
        if let explain { explain(.ended(slot.key, reason: reason, lines: slot.lines, parser: parserName, why: why())) }
        statistics.records += 1
        statistics.recordsByReason[Int(reason.rawValue)] += 1
        if let parserName { statistics.recordsByParser[parserName, default: 0] += 1 }
        if slot.truncated { statistics.truncatedRecords += 1 }
        sink.emit(
            Record(
                source: slot.key.source, stream: slot.key.stream, time: slot.time, observedTime: slot.observed,
                body: bodies[index].bytes, lineCount: slot.lines, parser: parserName, flushReason: reason,
                truncated: slot.truncated, malformed: slot.malformed, continuation: slot.continuation))
        pendingBytes -= bodies[index].count
        if bodies[index].capacity > Self.retainedBodyCapacity {
            bodies[index] = RawBuffer(capacity: Self.initialBodyCapacity)  // give back the memory of a big record
        } else {
            bodies[index].removeSuffix(from: 0)
        }
        slots[index].lines = 0
        slots[index].parser = -1
        slots[index].state = -1
        slots[index].committedBytes = 0
        slots[index].committedLines = 0
        slots[index].truncated = false
        slots[index].malformed = false
        slots[index].continuation = false
    }

    // MARK: - Streams

    private mutating func slot<S: RecordSink>(for key: StreamKey, into sink: inout S) -> Int {
        if key == lastKey { return lastSlot }
        if let index = slotIndex[key] {
            lastKey = key
            lastSlot = index
            return index
        }
        if slots.count >= configuration.maxStreams { evict(into: &sink) }
        slots.append(Slot(key: key))
        bodies.append(RawBuffer(capacity: Self.initialBodyCapacity))
        slotIndex[key] = slots.count - 1
        lastKey = key
        lastSlot = slots.count - 1
        return slots.count - 1
    }

    /// Makes room for a new stream: forgets idle streams, and if every stream holds a record, flushes the one quiet
    /// for longest.
    private mutating func evict<S: RecordSink>(into sink: inout S) {
        if !slots.contains(where: { $0.lines == 0 }), let oldest = quietestPendingSlot(sparing: nil) {
            while slots[oldest].lines > 0 {
                end(oldest, reason: .bufferFull, why: "too many open streams", into: &sink)
            }
        }
        var kept: [Slot] = []
        var keptBodies: [RawBuffer] = []
        for index in slots.indices where slots[index].lines > 0 {
            kept.append(slots[index])
            keptBodies.append(bodies[index])
        }
        slots = kept
        bodies = keptBodies
        slotIndex.removeAll(keepingCapacity: true)
        for (index, slot) in slots.enumerated() { slotIndex[slot.key] = index }
        lastKey = StreamKey(source: .max, stream: .unknown)
        lastSlot = -1
    }

    /// The slot holding a record whose stream has been quiet for longest, other than `spared`.
    private func quietestPendingSlot(sparing spared: Int?) -> Int? {
        var oldest: Int?
        for index in slots.indices where index != spared && slots[index].lines > 0 {
            if oldest == nil || slots[index].lastSeen < slots[oldest!].lastSeen { oldest = index }
        }
        return oldest
    }

    private func startsTrace(_ subject: UnsafeRawBufferPointer) -> Bool {
        startRules._withUnsafeGuaranteedRef { $0.firstMatch(in: subject, using: matcher) } != nil
    }

    /// Whether the held ordinary record's first line matches some parser's header (asked only when an indented line
    /// follows it, so ordinary lines cost no header match).
    private mutating func heldLineIsHeader(_ index: Int) -> Bool {
        let slot = slots[index]
        guard slot.lines > 0, slot.parser < 0, slot.state < 0, !slot.malformed, !parsers.anyHeader.isEmpty else {
            return false
        }
        let held = bodies[index].bytes
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
