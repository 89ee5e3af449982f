import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftIO
import WeftMultiline
import WeftPipeline
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Sources come and go in one pipeline: several at once keep apart, an ended source is released once its last record
/// has left, its id is reused, and a long run of sources leaves nothing behind.
@Suite struct SourceLifecycleTests {
    static let python = """
        Traceback (most recent call last):
          File "a.py", line 1, in <module>
        ValueError: bad

        """

    static let java = """
        java.lang.IllegalStateException: boom
        \tat App.main(App.java:5)
        \tat App.run(App.java:9)

        """

    func feed(
        _ text: String, _ source: SourceID, _ pipeline: inout Pipeline, _ output: inout CollectingOutput, at: Int64
    ) {
        Array(text.utf8).withUnsafeBytes { pipeline.feed($0, from: source, now: at, into: &output) }
    }

    @Test func interleavedSourcesMergeTheirOwnTraces() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = CollectingOutput()
        let a = pipeline.addSource(SourceInfo(path: "/logs/a.log"))
        let b = pipeline.addSource(SourceInfo(path: "/logs/b.log"))
        #expect(a != b)
        // Line by line, alternating: each source's trace must come out whole, with its own path.
        let left = Self.python.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let right = Self.java.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for index in 0..<max(left.count, right.count) {
            if index < left.count { feed(left[index] + "\n", a, &pipeline, &output, at: 1) }
            if index < right.count { feed(right[index] + "\n", b, &pipeline, &output, at: 1) }
        }
        pipeline.finish(now: 2, into: &output)
        let traces = zip(output.records, output.sources).filter { $0.0.lineCount > 1 }
        #expect(traces.count == 2)
        #expect(traces.first { $0.0.source == a }?.0.body == String(Self.python.dropLast()))
        #expect(traces.first { $0.0.source == a }?.1.path == "/logs/a.log")
        #expect(traces.first { $0.0.source == b }?.0.parser == "java")
        #expect(traces.first { $0.0.source == b }?.1.path == "/logs/b.log")
        // The output heard of each source before its first record.
        #expect(output.sink.described.map(\.source).sorted() == [a, b])
    }

    @Test func anEndedSourceIsReleasedWhenItsLastRecordLeaves() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = CollectingOutput()
        let a = pipeline.addSource(SourceInfo(path: "/logs/a.log"))
        _ = pipeline.addSource(SourceInfo(path: "/logs/stays.log"))  // a's id is not the table's last one
        feed("ValueError: pending\n", a, &pipeline, &output, at: 0)
        pipeline.endOfSource(a, now: 0, into: &output)
        // The held line may still be a trace's header: the source waits for its flush timeout.
        #expect(pipeline.sourceCount == 2)
        #expect(output.sink.released.isEmpty)
        #expect(pipeline.nextDeadline == 1_000_000_000)
        pipeline.advance(to: 999_999_999, into: &output)
        #expect(pipeline.sourceCount == 2)
        pipeline.advance(to: 1_000_000_000, into: &output)
        #expect(output.records.map(\.body) == ["ValueError: pending"])
        #expect(output.records.first?.flushReason == .timeout)
        #expect(pipeline.sourceCount == 1)
        #expect(output.sink.released == [a])
        #expect(pipeline.info(of: a) == nil)
        #expect(pipeline.nextDeadline == nil)
        // Its id comes back for the next source, described afresh.
        let b = pipeline.addSource(SourceInfo(path: "/logs/b.log"))
        #expect(b == a)
        feed("hello\n", b, &pipeline, &output, at: 2_000_000_000)
        pipeline.closeSource(b, now: 2_000_000_000, into: &output)
        #expect(output.records.last?.body == "hello")
        #expect(output.records.last?.flushReason == .endOfInput)
        #expect(output.sources.last?.path == "/logs/b.log")
        #expect(output.sink.released == [a, b])
        #expect(pipeline.statistics.sourcesAdded == 3 && pipeline.statistics.sourcesReleased == 2)
    }

    @Test func closeSourceFlushesOnlyThatSource() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = CollectingOutput()
        let a = pipeline.addSource(SourceInfo(path: "/a"))
        let b = pipeline.addSource(SourceInfo(path: "/b"))
        feed("a1\n", a, &pipeline, &output, at: 0)
        feed("b1\n", b, &pipeline, &output, at: 0)
        pipeline.closeSource(a, now: 0, into: &output)
        #expect(output.records.map(\.body) == ["a1"])
        #expect(pipeline.sourceCount == 1)
        #expect(pipeline.settledOffset(of: b) == 0, "b's held line still holds its checkpoint")
    }

    @Test func nextDeadlineFollowsTheEarliestPendingStage() throws {
        var configuration = PipelineConfiguration()
        configuration.multiline.flushTimeout = 100
        var pipeline = Pipeline(parsers: try .make(), configuration: configuration)
        var output = CollectingOutput()
        let plain = pipeline.addSource(SourceInfo(path: nil), format: .plain)
        let docker = pipeline.addSource(SourceInfo(path: nil), format: .docker)
        #expect(pipeline.nextDeadline == nil)
        feed(Fixtures.docker("first chunk of a long line"), docker, &pipeline, &output, at: 10)  // partial: joiner
        #expect(pipeline.nextDeadline == 110)
        feed("held\n", plain, &pipeline, &output, at: 50)  // engine
        #expect(pipeline.nextDeadline == 110)
        pipeline.advance(to: 109, into: &output)
        #expect(pipeline.nextDeadline == 110, "nothing was due yet")
        pipeline.advance(to: 110, into: &output)
        // The idle partial run left the joiner at its deadline and waits in the engine now (since 110), as an
        // ordinary line does; "held" has waited since 50.
        #expect(output.records.isEmpty)
        #expect(pipeline.nextDeadline == 150)
        pipeline.advance(to: 150, into: &output)
        #expect(output.records.map(\.body) == ["held"])
        #expect(pipeline.nextDeadline == 210)
        pipeline.advance(to: 210, into: &output)
        #expect(output.records.map(\.body) == ["held", "first chunk of a long line"])
        #expect(pipeline.nextDeadline == nil)
    }

    @Test func anOutputsErrorIsThrownTypedAndStopsTheRecordsThere() throws {
        struct Full: Error, Equatable {}
        struct FailingOutput: RecordOutput {
            var accepted = 0
            mutating func write(_ record: Record) throws(Full) {
                if accepted == 2 { throw Full() }
                accepted += 1
            }
        }
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = FailingOutput()
        let source = pipeline.addSource(SourceInfo(path: nil), format: .plain)
        let text = Array("one\ntwo\nthree\nfour\n".utf8)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: text)
        var caught: Full?
        do throws(Full) {
            try pipeline.feed(UnsafeRawBufferPointer(bytes), from: source, now: 0, into: &output)
        } catch {
            caught = error  // typed: `error` is a `Full`, no cast
        }
        #expect(caught == Full())
        #expect(output.accepted == 2)
        #expect(pipeline.settledOffset(of: source) <= 8, "nothing past the last record written is settled")
    }

    /// 100,000 files that each come, say a line, end and go: what the pipeline and the JSON output hold must not grow
    /// with their number.
    @Test func aHundredThousandSourcesLeaveNothingBehind() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        var output = FileOutput(fd: devNull, name: "/dev/null")
        let line = Array("ValueError: one line from a short-lived file\n".utf8)
        func cycle(_ index: Int) {
            let source = pipeline.addSource(SourceInfo(path: "/var/log/pods/ns_pod-\(index)_uid/app/0.log"))
            line.withUnsafeBytes { try? pipeline.feed($0, from: source, now: Int64(index), into: &output) }
            try? pipeline.endOfSource(source, now: Int64(index), into: &output)
            try? pipeline.advance(to: Int64(index) + 1_000_000_000, into: &output)
        }
        _ = pipeline.addSource(SourceInfo(path: "/var/log/stays-open.log"))  // id 0: the reused ids are not the tail
        for index in 0..<5_000 { cycle(index) }  // warm: every buffer at its working size
        let cachedBefore = output.cachedBytes
        for index in 5_000..<100_000 { cycle(index) }
        #expect(pipeline.statistics.sourcesAdded == 100_001)
        #expect(pipeline.sourceCount == 1)
        #expect(pipeline.sourceCapacity <= 2, "released ids are reused")
        #expect(pipeline.engine.streamCount <= 1)
        #expect(output.describedSourceCount == 0)
        #expect(pipeline.engine.statistics.records == 100_000)
        // Each source description alone is ~200 bytes: keeping them would cost ~20 MB. (The process's resident size
        // is no measure here: other tests run in it at the same time. The real-process tests measure weft's.)
        #expect(output.cachedBytes <= max(cachedBefore, 64 << 10), "the encoder's cache grew to \(output.cachedBytes)")
    }
}
