import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftTestSupport

@Suite struct PipelineTests {
    func docker(_ log: String, stream: String = "stderr", time: String = "2026-11-29T05:00:00.5Z") -> String {
        Fixtures.docker(log, stream: stream, time: time)
    }

    @Test func aPartialLineLeftAtTheEndTakesTheTimeOfFinish() throws {
        // A Docker chunk without its newline is held by the joiner; at finish it leaves as a record observed when the
        // caller says (it was observed at 1970-01-01 when finish had no time of its own).
        struct Observed: RecordOutput {
            var times: [Int64] = []
            mutating func write(_ record: Record) { times.append(record.observedTime) }
        }
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = Observed()
        let source = pipeline.addSource(SourceInfo(path: nil))
        let start: Int64 = 1_700_000_000_000_000_000
        Array(docker("cut short, no newline").utf8).withUnsafeBytes {
            pipeline.feed($0, from: source, now: start, into: &output)
        }
        pipeline.endOfSource(source, now: start, into: &output)
        pipeline.finish(now: start + 5, into: &output)
        #expect(output.times == [start + 5])
    }

    @Test func dockerTraceInterleavedWithStdout() throws {
        let input =
            docker("Traceback (most recent call last):\n")
            + docker("served /healthz\n", stream: "stdout")
            + docker("  File \"app.py\", line 3, in <module>\n", time: "2026-11-29T05:00:00.6Z")
            + docker("    main()\n")
            + docker("served /ready\n", stream: "stdout")
            + docker("ValueError: boom\n")
        let (records, output, pipeline) = try Fixtures.run(Array(input.utf8), path: "/var/log/containers/x.log")
        let stderr = records.filter { $0.stream == .stderr }
        #expect(
            stderr.map(\.body) == [
                "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nValueError: boom"
            ])
        #expect(stderr[0].parser == "python")
        #expect(stderr[0].time == 1_795_928_400_500_000_000)  // 2026-11-29T05:00:00.5Z
        #expect(records.filter { $0.stream == .stdout }.map(\.body) == ["served /healthz", "served /ready"])
        #expect(pipeline.detectedFormat(of: 0) == .docker)
        #expect(output.sources.allSatisfy { $0.attributes.contains { $0 == ("container.runtime.name", "docker") } })
    }

    /// A plain line's leading timestamp is its record's time in every mode, not only in replay; and a trace printed
    /// well after an ordinary Go log line does not take that line as its header, because the two times are apart.
    @Test func plainLeadingTimestampsAreRecordTimesLive() throws {
        let input = """
            2026-03-14T09:00:00.250Z INFO started
            2026/03/14 09:00:01 worker 6: processed 95 jobs in 6.404s
            2026/03/14 09:00:09 goroutine dump follows
            goroutine 1 [running]:
            main.main()
            \t/app/main.go:5 +0x1d
            no time here

            """
        let (records, _, _) = try Fixtures.run(Array(input.utf8), format: .plain)
        #expect(records.first?.time == 1_773_478_800_250_000_000)  // 2026-03-14T09:00:00.25Z
        #expect(records.map(\.lineCount) == [1, 1, 4, 1])
        #expect(records[2].parser == "go", "the line printed right before the dump introduces it")
        #expect(records.last?.time == Timestamp.none)
    }

    /// Found by the pipeline fuzz target: a leading timestamp after April 2262 does not fit Int64 nanoseconds, and its
    /// arithmetic trapped, ending the process. It is now a line without a time; the lines around it are unharmed.
    @Test func aLeadingTimestampPastInt64NanosecondsIsNoTime() throws {
        let input = """
            5019-11-29 05:03:03,375 INFO far in the future
            9999-12-31T23:59:59.999999999-23:59 INFO the last one a line can write
            2026-11-29 05:03:04,500 INFO back to now

            """
        let (records, _, _) = try Fixtures.run(Array(input.utf8), format: .plain)
        #expect(records.map(\.body) == input.split(separator: "\n").map(String.init))
        #expect(records.map(\.time).prefix(2) == [Timestamp.none, Timestamp.none])
        #expect(records.last?.time == 1_795_928_584_500_000_000)  // 2026-11-29T05:03:04.5Z
    }

    @Test func dockerAttrsBecomeAttributes() throws {
        let input =
            #"{"log":"hello\n","stream":"stdout","attrs":{"tag":"api","env":"prod"},"time":"2026-11-29T05:00:00Z"}"#
            + "\n"
            + #"{"log":"again\n","stream":"stdout","attrs":{"tag":"api","env":"prod"},"time":"2026-11-29T05:00:01Z"}"#
            + "\n"
        let (records, output, _) = try Fixtures.run(Array(input.utf8))
        #expect(records.map(\.body) == ["hello", "again"])
        for source in output.sources {
            let attributes = Dictionary(uniqueKeysWithValues: source.attributes.map { ($0.key, $0.value) })
            #expect(attributes["docker.attrs.tag"] == "api")
            #expect(attributes["docker.attrs.env"] == "prod")
            #expect(attributes["container.runtime.name"] == "docker")
        }
    }

    @Test func dockerPartialChunksRejoinBeforeMultiline() throws {
        let long = String(repeating: "x", count: 40_000)
        let input =
            docker("java.lang.IllegalStateException: " + long.prefix(16_000))
            + docker(String(long.dropFirst(16_000)) + "\n")
            + docker("\tat App.main(App.java:5)\n")
        let (records, _, _) = try Fixtures.run(Array(input.utf8), chunk: 4096)
        #expect(records.count == 1)
        #expect(records[0].body == "java.lang.IllegalStateException: " + long + "\n\tat App.main(App.java:5)")
        #expect(records[0].parser == "java")
    }

    @Test func criStreamsAndPartials() throws {
        let input = """
            2026-11-29T05:00:00.1Z stderr F panic: boom
            2026-11-29T05:00:00.1Z stderr F 
            2026-11-29T05:00:00.2Z stdout P half of a
            2026-11-29T05:00:00.2Z stderr F goroutine 1 [running]:
            2026-11-29T05:00:00.3Z stdout F  line
            2026-11-29T05:00:00.3Z stderr F main.main()
            2026-11-29T05:00:00.3Z stderr F \t/app/main.go:5 +0x1d

            """
        let (records, _, pipeline) = try Fixtures.run(Array(input.utf8))
        #expect(pipeline.detectedFormat(of: 0) == .cri)
        #expect(records.filter { $0.stream == .stdout }.map(\.body) == ["half of a line"])
        let stderr = records.filter { $0.stream == .stderr }
        #expect(stderr.map(\.body) == ["panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d"])
        #expect(stderr[0].parser == "go")
    }

    @Test func malformedLinesPassThroughMarked() throws {
        let input =
            docker("java.lang.IllegalStateException: boom\n") + "{\"log\":\"broken\n"
            + docker("\tat App.main(App.java:5)\n")
        let (records, _, pipeline) = try Fixtures.run(Array(input.utf8))
        // The broken line's stream is unknown, so it cannot interrupt the stderr trace around it: it leaves at once,
        // and the trace stays whole.
        #expect(records.map(\.malformed) == [true, false])
        #expect(records[0].body == "{\"log\":\"broken")
        #expect(records[0].flushReason == .malformed)
        #expect(records[1].body == "java.lang.IllegalStateException: boom\n\tat App.main(App.java:5)")
        #expect(pipeline.statistics.malformedLines == 1)
    }

    @Test func logTimestampsDriveTimeoutsInReplay() throws {
        // A 5 s gap inside a trace: live, the 1 s idle timeout would have split it; replay must split it the same way.
        let input =
            docker("java.lang.IllegalStateException: boom\n", time: "2026-11-29T05:00:00Z")
            + docker("\tat App.a(App.java:1)\n", time: "2026-11-29T05:00:00.1Z")
            + docker("\tat App.b(App.java:2)\n", time: "2026-11-29T05:00:05Z")
        let (records, _, _) = try Fixtures.run(Array(input.utf8)) { $0.clock = .logTimestamps }
        #expect(records.map(\.lineCount) == [2, 1])
        #expect(records.map(\.flushReason) == [.timeout, .endOfInput])
        #expect(records.map(\.continuation) == [false, true], "the frame after the pause resumes the trace")
    }

    @Test func aTraceCutByTheFlushTimeoutResumesAsOneContinuation() throws {
        // CRI, replayed: a Java trace pauses 30 s after its second line. Its other lines can only continue it, so they
        // leave as one record marked continuation: two stderr records, not one per line.
        let lines = [
            ("05:00:00.000", "java.lang.IllegalStateException: boom"), ("05:00:00.001", "\tat App.a(App.java:1)"),
            ("05:00:30.000", "\tat App.b(App.java:2)"), ("05:00:30.001", "\tat App.c(App.java:3)"),
            ("05:00:30.002", "Caused by: java.io.IOException: disk"), ("05:00:30.003", "\tat App.d(App.java:4)"),
            ("05:00:30.004", "\t... 3 more"), ("05:00:31.500", "an ordinary line"),
        ]
        let input = lines.map { "2026-11-29T\($0.0)000000Z stderr F \($0.1)\n" }.joined()
        let (records, _, _) = try Fixtures.run(Array(input.utf8), format: .cri) { $0.clock = .logTimestamps }
        #expect(records.map(\.lineCount) == [2, 5, 1])
        #expect(records.map(\.continuation) == [false, true, false])
        #expect(records.map(\.parser) == ["java", "java", nil])
        // After a pause, a line that could start anything does not resume the trace.
        let ordinary =
            lines.prefix(2).map { "2026-11-29T\($0.0)000000Z stderr F \($0.1)\n" }.joined()
            + "2026-11-29T05:00:30.000000000Z stderr F next request served\n"
        let apart = try Fixtures.run(Array(ordinary.utf8), format: .cri) { $0.clock = .logTimestamps }.records
        #expect(apart.map(\.lineCount) == [2, 1])
        #expect(apart.map(\.continuation) == [false, false])
    }

    @Test func kubernetesResourceFromPath() throws {
        let path = "/var/log/pods/shop_api-7d9_0f1e2d3c-aaaa-bbbb-cccc-123456789abc/api/2.log"
        let (_, output, _) = try Fixtures.run(Array("hello\n".utf8), path: path)
        let resource = Dictionary(uniqueKeysWithValues: output.sources[0].resource.map { ($0.key, $0.value) })
        #expect(resource["k8s.namespace.name"] == "shop")
        #expect(resource["k8s.pod.name"] == "api-7d9")
        #expect(resource["k8s.container.name"] == "api")
        #expect(resource["k8s.container.restart_count"] == "2")
    }

    @Test func memoryStaysBoundedOnAHugeLine() throws {
        // A 100 MB line, fed in 64 KiB chunks with no newline until the end, must never be held: the framer cuts it
        // at maxLineBytes and passes it on as soon as it overflows, then skips the rest up to its newline. Observed
        // while feeding through what is public (the engine's pending bytes, the truncation count), and as resident
        // memory, which would grow by the whole line if any stage kept it.
        let maxLineBytes = 1 << 20
        var configuration = PipelineConfiguration()
        configuration.format = .plain
        configuration.maxLineBytes = maxLineBytes
        var pipeline = Pipeline(parsers: try .make(), configuration: configuration)
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil))
        let clock = ManualClock()
        func residentBytes() -> Int {
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
            let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }

        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        let lineBytes = 100 << 20
        let residentBefore = residentBytes()
        var residentPeak = residentBefore
        var fed = 0
        while fed < lineBytes {
            chunk.withUnsafeBytes { pipeline.feed($0, from: source, now: clock.now, into: &output) }
            fed += chunk.count
            // The cut line has left the framer once it overflowed; the engine holds it (an ordinary line waits for
            // the next), cut to the bound. `require`: a framer that keeps the line would fail here on every chunk.
            try #require(pipeline.statistics.truncatedLines == (fed > maxLineBytes ? 1 : 0), "after \(fed) bytes")
            try #require(pipeline.engine.pendingByteCount == (fed > maxLineBytes ? maxLineBytes : 0))
            if fed % (1 << 20) == 0 { residentPeak = max(residentPeak, residentBytes()) }
        }
        // The pipeline holds about 2 × maxLineBytes (framer carry, engine body); the slack is for other tests running
        // in this process at the same time. Keeping the line would cost 100 MB or more.
        #expect(residentPeak - residentBefore < 32 << 20, "resident memory grew by \(residentPeak - residentBefore)")
        #expect(output.records.isEmpty)

        Array("\nnext\n".utf8).withUnsafeBytes { pipeline.feed($0, from: source, now: clock.now, into: &output) }
        pipeline.endOfSource(source, now: clock.now, into: &output)
        pipeline.finish(now: clock.now, into: &output)
        let records = output.records
        #expect(records.count == 2)
        #expect(records.first?.bodyBytes.count == maxLineBytes)
        #expect(records.first?.truncated == true)
        #expect(records.last?.body == "next")
        #expect(pipeline.statistics.truncatedLines == 1)
        #expect(pipeline.statistics.bytesIn == Int64(lineBytes + 6))
    }
}
