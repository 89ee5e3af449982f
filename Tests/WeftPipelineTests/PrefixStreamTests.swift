import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftTestSupport

/// Prefix streams in the pipeline: one pending record per (source, prefix stream) within the engine's bound on
/// streams, lines held for detection leave on time and hold the checkpoint, lanes are released with their source.
@Suite struct PrefixStreamTests {
    /// `pods` pods each printing a Python traceback, one line of each pod in turn, through `kubectl logs --prefix`.
    static func interleaved(pods: Int) -> (bytes: [UInt8], linesOf: [String: [String]]) {
        var linesOf: [String: [String]] = [:]
        var text = ""
        for step in 0..<3 {
            for pod in 0..<pods {
                let line = [
                    "Traceback (most recent call last):", "  File \"pod\(pod).py\", line \(pod), in <module>",
                    "ValueError: pod \(pod)",
                ][step]
                text += "[pod/api-\(pod)/app] \(line)\n"
                linesOf["api-\(pod)", default: []].append(line)
            }
        }
        return (Array(text.utf8), linesOf)
    }

    static func run(_ bytes: [UInt8], maxStreams: Int) throws -> (CollectingOutput, maxDescribed: Int, maxStreams: Int)
    {
        var configuration = PipelineConfiguration()
        configuration.multiline.maxStreams = maxStreams
        var pipeline = Pipeline(parsers: try .make(), configuration: configuration)
        var output = CollectingOutput()
        let source = pipeline.addSource(SourceInfo(path: nil))
        var maxDescribed = 0
        var maxOpen = 0
        var start = 0
        // A line at a time, watching the bounds after each.
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            bytes[start...index].withUnsafeBytes { pipeline.feed($0, from: source, now: 0, into: &output) }
            start = index + 1
            maxDescribed = max(maxDescribed, output.table.count)
            maxOpen = max(maxOpen, pipeline.engine.streamCount)
        }
        pipeline.endOfSource(source, now: 0, into: &output)
        pipeline.finish(now: 0, into: &output)
        #expect(pipeline.sourceCount == 0)
        #expect(output.table.count == 0, "the source and every one of its prefix streams were released")
        return (output, maxDescribed, maxOpen)
    }

    static func byPod(_ output: CollectingOutput) -> [String: [CollectedRecord]] {
        var result: [String: [CollectedRecord]] = [:]
        for (record, source) in zip(output.records, output.sources) {
            let pod = source.resource.first { $0.key == "k8s.pod.name" }?.value ?? "?"
            result[pod, default: []].append(record)
        }
        return result
    }

    @Test func eachPodsTraceMergesWholeWithinTheBound() throws {
        let input = Self.interleaved(pods: 4)
        let (output, _, open) = try Self.run(input.bytes, maxStreams: 4)
        #expect(open <= 4)
        let pods = Self.byPod(output)
        #expect(pods.count == 4)
        for (pod, records) in pods {
            #expect(records.count == 1, "\(pod)")
            #expect(records.first?.parser == "python")
            #expect(records.first?.body == input.linesOf[pod]!.joined(separator: "\n"))
        }
    }

    @Test func morePrefixStreamsThanTheBoundFlushButLoseAndMixNothing() throws {
        let input = Self.interleaved(pods: 10)
        let (output, described, open) = try Self.run(input.bytes, maxStreams: 4)
        #expect(open <= 4, "the engine's bound on streams holds for prefix streams")
        #expect(described <= 4 + 1, "at most maxStreams prefix streams (and the source) are alive at once")
        #expect(output.records.contains { $0.flushReason == .bufferFull })
        let pods = Self.byPod(output)
        #expect(pods.count == 10)
        for (pod, records) in pods {
            // Cut where a stream was let go, but every line is there, once, in order, under its own pod.
            #expect(
                records.map(\.body).joined(separator: "\n") == input.linesOf[pod]!.joined(separator: "\n"), "\(pod)")
        }
    }

    @Test func heldLinesLeaveAtTheFlushTimeoutAndHoldTheCheckpoint() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: PipelineConfiguration())
        var output = CollectingOutput()
        let source = pipeline.addSource(SourceInfo(path: nil))
        let text = Array("2026-03-14T09:00:00.100000000Z one\n2026-03-14T09:00:00.200000000Z two\n".utf8)
        var clock = ManualClock()
        text.withUnsafeBytes { pipeline.feed($0, from: source, now: clock.now, into: &output) }
        #expect(output.records.isEmpty, "two lines of an ambiguous shape are held")
        #expect(pipeline.detectedFormat(of: source) == nil)
        #expect(pipeline.settledOffset(of: source) == 0)
        #expect(pipeline.nextDeadline == clock.now + PipelineConfiguration().multiline.flushTimeout)

        clock.advance(bySeconds: 1)
        pipeline.advance(to: clock.now, into: &output)
        // Not enough to decide: plain, as written; they leave once their stream is quiet too.
        #expect(pipeline.detectedFormat(of: source) == .plain)
        clock.advance(bySeconds: 1)
        pipeline.advance(to: clock.now, into: &output)
        #expect(
            output.records.map(\.body)
                == text.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) })
        #expect(pipeline.settledOffset(of: source) == Int64(text.count))
    }

    @Test func dockerAndCRISourcesDropThePrefixLayer() throws {
        let docker =
            Array(#"{"log":"[pod/a/b] not a prefix here\n","stream":"stdout","time":"2026-03-14T09:00:00Z"}"#.utf8) + [
                10
            ]
        let run = try Fixtures.run(docker)
        #expect(run.pipeline.formats.values.first == .docker)
        #expect(run.records.map(\.body) == ["[pod/a/b] not a prefix here"])
    }

    @Test func aLaneKeepsTheSourcesPathAndAddsItsOwnResource() throws {
        let bytes = Array("[pod/api-1/app] hello\n".utf8)
        let run = try Fixtures.run(bytes, path: "/tmp/kubectl-output.log")
        let info = try #require(run.output.sources.first)
        #expect(info.path == "/tmp/kubectl-output.log")
        #expect(info.resource.map { "\($0.key)=\($0.value)" } == ["k8s.pod.name=api-1", "k8s.container.name=app"])
    }

    @Test func aPrefixReplacesWhatTheSourcesPathSaidNeverDuplicatesIt() throws {
        let bytes = Array("[pod/api-1/app] hello\n".utf8)
        let run = try Fixtures.run(bytes, path: "/var/log/pods/shop_saved-output_0b6c/kubectl/0.log")
        let info = try #require(run.output.sources.first)
        let keys = info.resource.map(\.key)
        #expect(Set(keys).count == keys.count, "\(keys)")
        #expect(info.resource.contains { $0.key == "k8s.namespace.name" && $0.value == "shop" })
        #expect(info.resource.contains { $0.key == "k8s.pod.name" && $0.value == "api-1" })
        #expect(info.resource.contains { $0.key == "k8s.container.name" && $0.value == "app" })
    }
}
