import WeftCore
import WeftMultiline
import WeftTestSupport

/// Drives a ``MultilineEngine`` with text lines and a manual clock.
struct EngineHarness {
    var engine: MultilineEngine
    var sink = CollectingSink()
    var clock = ManualClock()

    init(parsers: [String]? = nil, extra: [RuleFile] = [], configuration: MultilineConfiguration = .init()) throws {
        engine = MultilineEngine(
            parsers: try ParserSet.make(builtIns: parsers, extra: extra), configuration: configuration)
    }

    /// Pushes one line at the clock's time; `time` is the line's own timestamp (nanoseconds), if it has one.
    mutating func push(
        _ text: String, stream: LogStream = .unknown, source: SourceID = 0, time: Int64 = Timestamp.none
    ) {
        let now = clock.now
        LogLine.with(text, source: source, stream: stream, time: time) { line in
            engine.push(line, now: now, into: &sink)
        }
    }

    /// Pushes every line of `text` (split on "\n").
    mutating func pushLines(_ text: String, stream: LogStream = .unknown) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { push(String(line), stream: stream) }
    }

    mutating func advance(byMilliseconds ms: Int64) {
        clock.advance(byMilliseconds: ms)
        engine.advance(to: clock.now, into: &sink)
    }

    mutating func finish() -> [CollectedRecord] {
        engine.finish(into: &sink)
        return sink.records
    }

    /// Runs `text` through a fresh engine with all built-ins and returns (parser, body) per record.
    static func records(_ text: String) throws -> [CollectedRecord] {
        var harness = try EngineHarness()
        harness.pushLines(text)
        return harness.finish()
    }
}
