import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftOutput
import WeftPipeline
import WeftTestSupport

/// Encodes records exactly as `weft` writes them, for byte comparisons.
struct EncodingOutput: RecordOutput {
    var encoder = JSONLinesEncoder()
    var bytes: [UInt8] = []

    var sources = SourceTable()

    mutating func write(_ record: Record) {
        encoder.encode(record, source: sources[record.source], into: &bytes)
    }

    mutating func describe(_ source: SourceID, as info: SourceInfo) { sources.set(source, info) }
}

@Suite struct ReplayTests {
    /// A Docker line written at `at` (nanoseconds since the epoch).
    func docker(_ text: String, stream: String = "stderr", at: Int64) -> String {
        Fixtures.docker(text + "\n", stream: stream, time: Timestamp.rfc3339(at))
    }

    /// What a live agent sees: each line arrives when it was written, the clock runs between them.
    func live(_ writes: [(at: Int64, line: String)], configuration: PipelineConfiguration) throws -> [CollectedRecord] {
        var pipeline = Pipeline(parsers: try ParserSet.make(), configuration: configuration)
        var output = CollectingOutput()
        let source = pipeline.addSource(SourceInfo(path: "/var/log/app.log"))
        var clock = ManualClock(start: writes[0].at)
        for write in writes {
            // Time passes until the write: the idle timer fires in between, as it would live.
            while clock.now < write.at {
                clock.advance(byMilliseconds: 10)
                pipeline.advance(to: min(clock.now, write.at), into: &output)
            }
            Array(write.line.utf8).withUnsafeBytes { pipeline.feed($0, from: source, now: write.at, into: &output) }
        }
        pipeline.endOfSource(source, now: clock.now, into: &output)
        pipeline.finish(now: clock.now, into: &output)
        return output.records
    }

    func replay(_ bytes: [UInt8], configuration: PipelineConfiguration) throws -> (CollectingOutput, [UInt8]) {
        var configuration = configuration
        configuration.clock = .logTimestamps
        var pipeline = Pipeline(parsers: try ParserSet.make(), configuration: configuration)
        var output = CollectingOutput()
        let source = pipeline.addSource(SourceInfo(path: "/var/log/app.log"))
        bytes.withUnsafeBytes { pipeline.feed($0, from: source, now: 0, into: &output) }
        pipeline.endOfSource(source, now: 0, into: &output)
        pipeline.finish(now: 0, into: &output)
        var encoded = EncodingOutput()
        var again = Pipeline(parsers: try ParserSet.make(), configuration: configuration)
        let id = again.addSource(SourceInfo(path: "/var/log/app.log"))
        bytes.withUnsafeBytes { again.feed($0, from: id, now: 0, into: &encoded) }
        again.endOfSource(id, now: 0, into: &encoded)
        again.finish(now: 0, into: &encoded)
        return (output, encoded.bytes)
    }

    @Test func replayProducesWhatTheLiveAgentProduced() throws {
        let t0: Int64 = 1_795_928_400_000_000_000
        let ms: Int64 = 1_000_000
        var configuration = PipelineConfiguration()
        configuration.multiline.flushTimeout = 1000 * ms
        // A Java trace with a 2.5 s stall after its second frame (longer than the 1 s timeout), a Python trace
        // written without pause, stdout chatter in between, and a final record flushed by the timeout.
        let writes: [(Int64, String)] = [
            (t0, docker("2026-11-29 05:00:00 INFO start", stream: "stdout", at: t0)),
            (t0 + 5 * ms, docker("java.lang.IllegalStateException: boom", at: t0 + 5 * ms)),
            (t0 + 6 * ms, docker("\tat App.a(App.java:1)", at: t0 + 6 * ms)),
            (t0 + 7 * ms, docker("served /healthz", stream: "stdout", at: t0 + 7 * ms)),
            (t0 + 2507 * ms, docker("\tat App.b(App.java:2)", at: t0 + 2507 * ms)),
            (t0 + 2600 * ms, docker("Traceback (most recent call last):", at: t0 + 2600 * ms)),
            (t0 + 2600 * ms, docker("  File \"app.py\", line 3, in <module>", at: t0 + 2600 * ms)),
            (t0 + 2601 * ms, docker("ValueError: bad", at: t0 + 2601 * ms)),
            (t0 + 9000 * ms, docker("2026-11-29 05:00:09 INFO done", stream: "stdout", at: t0 + 9000 * ms)),
        ]
        let liveRecords = try live(writes.map { (at: $0.0, line: $0.1) }, configuration: configuration)
        let bytes = Array(writes.map(\.1).joined().utf8)
        let (replayed, _) = try replay(bytes, configuration: configuration)
        let summary = { (records: [CollectedRecord]) in
            records.map { "\($0.stream) \($0.flushReason) \($0.lineCount) \($0.body)" }
        }
        #expect(summary(replayed.records) == summary(liveRecords))
        // And the stall really split the trace, as it did live.
        let stderr = replayed.records.filter { $0.stream == .stderr }
        #expect(stderr.map(\.lineCount) == [2, 1, 3])
        #expect(stderr[0].flushReason == .timeout)
    }

    @Test func replayingTwiceIsByteIdentical() throws {
        let capture = Fixtures.samples.appendingPathComponent("java/rendered/traces.crio.log")
        let bytes = Array(try Data(contentsOf: capture))
        let (_, first) = try replay(bytes, configuration: PipelineConfiguration())
        let (_, second) = try replay(bytes, configuration: PipelineConfiguration())
        #expect(!first.isEmpty)
        #expect(first == second)
        // No wall-clock time leaks into replayed output: observed times are the log's own (rendered from 05:00Z).
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.split(separator: "\n").allSatisfy { $0.contains("\"observed_timestamp\":\"2026-11-29T05:00:") })
    }

    @Test func plainTextTimestampsDriveTheClock() throws {
        let text = """
            2026-11-29 05:00:00,000 ERROR app: failed
            java.lang.IllegalStateException: boom
            \tat App.a(App.java:1)
            2026-11-29 05:00:05,000 INFO app: unrelated
            \tat App.b(App.java:2)

            """
        var configuration = PipelineConfiguration()
        configuration.multiline.flushTimeout = 1_000_000_000
        let (output, _) = try replay(Array(text.utf8), configuration: configuration)
        // The INFO line's time (5 s later) fires the timeout: the trace ends before it, with its header.
        #expect(output.records.map(\.lineCount) == [3, 1, 1])
        #expect(output.records[0].flushReason == .timeout)
        #expect(output.records[0].time == 1_795_928_400_000_000_000)
    }

    @Test(arguments: [
        ("2026-11-29T05:03:36.123456789Z rest", 1_795_928_616_123_456_789 as Int64?),
        ("2026-11-29T06:03:36+01:00 rest", 1_795_928_616_000_000_000),
        ("2026-11-29 05:03:36,5 INFO", 1_795_928_616_500_000_000),
        ("[2026-11-29 05:03:36.250] x", 1_795_928_616_250_000_000),
        ("2026/11/29 05:03:36 http: panic serving", 1_795_928_616_000_000_000),
        ("Nov 29 05:03:36 host app[1]: x", 1_795_928_616_000_000_000),
        ("Nov  9 05:03:36 host", 1_794_200_616_000_000_000),
        ("\tat App.main(App.java:5)", nil),
        ("INFO 2026-11-29 05:03:36", nil),
        ("2026-13-29 05:03:36 bad month", nil),
        ("2026-11-29T10:33:36+0530 no colon in the zone", 1_795_928_616_000_000_000),
        ("2026-11-29T05:03:36-00:30", 1_795_930_416_000_000_000),
        ("2026-11-29T05:03:36.1234567891234Z extra digits", 1_795_928_616_123_456_789),
        ("2026-11-29T05:03:3", nil),
        ("2026-11-29T05:03:36+", 1_795_928_616_000_000_000),
        ("Nov 31 05:03:36 ", 1_796_101_416_000_000_000),  // as the calendar rolls it: December 1
        ("Nov x9 05:03:36 host", nil),
        ("[Nov  9 05:03:36] x", 1_794_200_616_000_000_000),
    ])
    func leadingTimestamps(line: String, expected: Int64?) {
        let parsed = Array(line.utf8).withUnsafeBytes { LeadingTimestamp.parse($0, year: 2026) }
        #expect(parsed == expected, "\(line)")
        // Through a cache that has seen the same minute (or another one) first: the same answer.
        for primer in ["2026-11-29T05:03:00Z", "2026-11-29 05:03:59,9", "2026/11/29 05:03:01", "1999-01-01T00:00:00Z"] {
            var cache = LeadingTimestamp.Cache()
            _ = Array(primer.utf8).withUnsafeBytes { LeadingTimestamp.parse($0, year: 2026, cache: &cache) }
            let cached = Array(line.utf8).withUnsafeBytes { LeadingTimestamp.parse($0, year: 2026, cache: &cache) }
            #expect(cached == expected, "\(line) after \(primer)")
        }
    }

    @Test func untimedPlainTextIsCounted() throws {
        let (_, pipelineStats) = try {
            var configuration = PipelineConfiguration()
            configuration.clock = .logTimestamps
            var pipeline = Pipeline(parsers: try ParserSet.make(), configuration: configuration)
            var output = CollectingOutput()
            let source = pipeline.addSource(SourceInfo(path: nil))
            Array("no time here\nnor here\n".utf8).withUnsafeBytes {
                pipeline.feed($0, from: source, now: 0, into: &output)
            }
            pipeline.finish(now: 0, into: &output)
            return (output, pipeline.statistics)
        }()
        #expect(pipelineStats.untimedLines == 2)
        #expect(pipelineStats.firstTime == Timestamp.none)
    }
}
