import Testing
import WeftCore
import WeftRules
import WeftTestSupport

@testable import WeftMultiline

/// Lines taken on trial (a `tentative` rule) that turn out not to belong are read again as they arrived: their own
/// time, flags, byte range and arrival time, not the first trial line's.
@Suite struct TrialLineTests {
    /// A message-continuation rule that takes any line on trial, confirmed only by a frame line.
    static let trialRules = """
        name: trial
        states:
          start:
            - match: '^Error: '
              next: message
          message:
            - match: '^\\s+at '
              next: frames
            - match: '^\\S'
              next: message
              tentative: true
          frames:
            - match: '^\\s+at '
              next: frames
        """

    /// Pushes `text` as one line with its own time and range.
    func push(
        _ text: String, time: Int64, range: ByteRange, flags: LineFlags = [], now: Int64,
        into engine: inout MultilineEngine, _ sink: inout CollectingSink
    ) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes {
            engine.push(
                LogLine(source: 0, stream: .stderr, time: time, text: $0, flags: flags, range: range), now: now,
                into: &sink)
        }
    }

    @Test func failedTrialLinesKeepTheirOwnTimeRangeAndFlags() throws {
        let file = try RuleFile.parse(Self.trialRules, origin: "test")
        var engine = MultilineEngine(parsers: try ParserSet.make(builtIns: [], extra: [file]))
        var sink = CollectingSink()
        push("Error: boom", time: 100, range: ByteRange(start: 0, end: 12), now: 1000, into: &engine, &sink)
        push("next message", time: 200, range: ByteRange(start: 12, end: 25), now: 2000, into: &engine, &sink)
        push(
            "cut one", time: 300, range: ByteRange(start: 25, end: 99), flags: .truncated, now: 3000,
            into: &engine, &sink)
        engine.finish(into: &sink)
        // Both trial lines were refused at the end (no frame confirmed them): three records, each with its own facts.
        #expect(sink.records.map(\.body) == ["Error: boom", "next message", "cut one"])
        #expect(sink.records.map(\.time) == [100, 200, 300])
        #expect(
            sink.records.map(\.range) == [
                ByteRange(start: 0, end: 12), ByteRange(start: 12, end: 25), ByteRange(start: 25, end: 99),
            ])
        #expect(sink.records.map(\.truncated) == [false, false, true])
        #expect(sink.records.map(\.sequence) == [1, 2, 3])
    }

    @Test func confirmedTrialLinesStayInTheRecordWithItsWholeRange() throws {
        let file = try RuleFile.parse(Self.trialRules, origin: "test")
        var engine = MultilineEngine(parsers: try ParserSet.make(builtIns: [], extra: [file]))
        var sink = CollectingSink()
        push("Error: boom", time: 100, range: ByteRange(start: 0, end: 12), now: 1, into: &engine, &sink)
        push("more message", time: 200, range: ByteRange(start: 12, end: 25), now: 2, into: &engine, &sink)
        push("  at f()", time: 300, range: ByteRange(start: 25, end: 34), now: 3, into: &engine, &sink)
        engine.finish(into: &sink)
        #expect(sink.records.count == 1)
        #expect(sink.records.first?.body == "Error: boom\nmore message\n  at f()")
        #expect(sink.records.first?.range == ByteRange(start: 0, end: 34))
        #expect(sink.records.first?.time == 100)
    }

    @Test func aTrialCutByTheLineBoundIsReadAgainWhole() throws {
        // The record reaches maxLines while a line is on trial: the cut keeps going in a continuation record whose
        // only line is on trial. When that trial fails, nothing may be emitted empty and no byte may be lost.
        let file = try RuleFile.parse(Self.trialRules, origin: "test")
        var configuration = MultilineConfiguration()
        configuration.maxLines = 2
        var engine = MultilineEngine(
            parsers: try ParserSet.make(builtIns: [], extra: [file]), configuration: configuration)
        var sink = CollectingSink()
        push("Error: boom", time: 1, range: ByteRange(start: 0, end: 12), now: 1, into: &engine, &sink)
        push("second", time: 2, range: ByteRange(start: 12, end: 19), now: 2, into: &engine, &sink)
        push("third", time: 3, range: ByteRange(start: 19, end: 25), now: 3, into: &engine, &sink)
        engine.finish(into: &sink)
        #expect(sink.records.allSatisfy { $0.lineCount > 0 && !$0.body.isEmpty })
        #expect(sink.records.map(\.body).joined(separator: "\n") == "Error: boom\nsecond\nthird")
        #expect(sink.records.last?.body == "third")
        #expect(sink.records.last?.range == ByteRange(start: 19, end: 25))
    }
}
