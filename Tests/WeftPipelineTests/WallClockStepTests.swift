import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftTestSupport

/// The caller's clock set back (an operator or NTP stepping the wall clock) while records and partial lines wait:
/// they still leave one flush timeout after their last line, not once the clock has caught up with the old times.
@Suite struct WallClockStepTests {
    static let second: Int64 = 1_000_000_000
    static let start: Int64 = 1_764_392_400 * second
    static let hour: Int64 = 3600 * second

    func pipeline(format: LogFormat = .plain) throws -> Pipeline {
        var configuration = PipelineConfiguration()
        configuration.format = format
        configuration.multiline.flushTimeout = Self.second
        return Pipeline(parsers: try .make(), configuration: configuration)
    }

    @Test func aPendingTraceLeavesOneFlushTimeoutAfterTheClockWentBackAnHour() throws {
        var pipeline = try pipeline()
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil))
        let trace = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
        try Array(trace.utf8).withUnsafeBytes { try pipeline.feed($0, from: source, now: Self.start, into: &output) }
        #expect(output.records.isEmpty)

        let back = Self.start - Self.hour
        try pipeline.advance(to: back, into: &output)
        try pipeline.advance(to: back + Self.second / 2, into: &output)
        #expect(output.records.isEmpty)  // half the flush timeout since the last line
        try pipeline.advance(to: back + Self.second + 1, into: &output)
        #expect(output.records.map(\.body) == [String(trace.dropLast())])
        #expect(output.records.map(\.flushReason) == [.timeout])
        #expect(pipeline.statistics.clockStepsBack == 1)
    }

    @Test func aPartialDockerLineLeavesAfterTheClockWentBack() throws {
        var pipeline = try pipeline(format: .docker)
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil))
        let partial = #"{"log":"half a line","stream":"stdout","time":"2026-11-29T05:00:00.000000000Z"}"# + "\n"
        try Array(partial.utf8).withUnsafeBytes {
            try pipeline.feed($0, from: source, now: Self.start, into: &output)
        }
        let back = Self.start - Self.hour
        try pipeline.advance(to: back, into: &output)
        // One flush timeout ends the partial line, the next one the record it became.
        try pipeline.advance(to: back + Self.second + 1, into: &output)
        try pipeline.advance(to: back + 2 * Self.second + 2, into: &output)
        #expect(output.records.map(\.body) == ["half a line"])
    }

    @Test func aClockGoingForwardNeedsNoStep() throws {
        var pipeline = try pipeline()
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil))
        try Array("Traceback (most recent call last):\n".utf8).withUnsafeBytes {
            try pipeline.feed($0, from: source, now: Self.start, into: &output)
        }
        try pipeline.advance(to: Self.start + Self.hour, into: &output)
        #expect(output.records.map(\.flushReason) == [.timeout])
        #expect(pipeline.statistics.clockStepsBack == 0)
    }
}
