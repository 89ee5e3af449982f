import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftSamples
import WeftTestSupport

/// Every captured sample merges exactly as its golden file says (the files come from the real runtimes; see
/// Samples/README.md).
@Suite struct SampleTests {
    @Test func samplesExistForEveryLanguage() {
        let names = Fixtures.sampleNames()
        for language in ["go", "java", "python", "ruby", "nodejs", "php", "dotnet", "rust", "perl", "dart"] {
            #expect(names.contains { $0.hasPrefix(language + "/") }, "no samples for \(language)")
        }
    }

    @Test(arguments: Fixtures.sampleNames())
    func sampleMergesAsExpected(name: String) throws {
        let log = Fixtures.samples.appendingPathComponent(name)
        let expectedURL = log.deletingPathExtension().appendingPathExtension("expected.jsonl")
        let expected = try Fixtures.expected(expectedURL)
        let bytes = Array(try Data(contentsOf: log))
        let actual = try Fixtures.run(bytes, format: .plain).records.map {
            ExpectedRecord(parser: $0.parser, body: $0.body)
        }
        #expect(actual == expected, "\(name)")
        if actual != expected {
            for (index, pair) in zip(actual, expected).enumerated() where pair.0 != pair.1 {
                Issue.record("\(name): first difference at record \(index):\n got \(pair.0)\nwant \(pair.1)")
                break
            }
        }
    }

    @Test(arguments: Fixtures.sampleNames())
    func chunkingDoesNotMatter(name: String) throws {
        let bytes = Array(try Data(contentsOf: Fixtures.samples.appendingPathComponent(name)))
        // Every field of every record: body, source, stream, time, line count, parser, flush reason, flags.
        let whole = try Fixtures.run(bytes, format: .plain).records
        let dribbled = try Fixtures.run(bytes, format: .plain, chunk: 7).records
        #expect(!whole.isEmpty)
        #expect(whole == dribbled, "\(name)")

        // The observed time is when a record's first line was read, so it depends on the chunks when the caller's
        // clock moves between them; with the log's timestamps as the clock (replay) it must not, and the flush
        // timeouts that clock fires must not either.
        struct Observed: RecordOutput {
            var sink = CollectingSink()
            var observedTimes: [Int64] = []
            mutating func write(_ record: Record) {
                sink.write(record)
                observedTimes.append(record.observedTime)
            }
        }
        func replay(chunk: Int) throws -> Observed {
            var configuration = PipelineConfiguration()
            configuration.format = .plain
            configuration.clock = .logTimestamps
            var pipeline = Pipeline(parsers: try .make(), configuration: configuration)
            var output = Observed()
            let source = pipeline.addSource(SourceInfo(path: nil))
            // As `weft replay` drives it: the caller's clock says 0, the log's timestamps say the rest.
            for start in stride(from: 0, to: bytes.count, by: chunk) {
                bytes[start..<min(bytes.count, start + chunk)].withUnsafeBytes {
                    pipeline.feed($0, from: source, now: 0, into: &output)
                }
                pipeline.advance(to: 0, into: &output)
            }
            pipeline.endOfSource(source, now: 0, into: &output)
            pipeline.finish(now: 0, into: &output)
            return output
        }
        let replayedWhole = try replay(chunk: 1 << 16)
        let replayedDribbled = try replay(chunk: 7)
        #expect(!replayedWhole.sink.records.isEmpty)
        #expect(replayedWhole.sink.records == replayedDribbled.sink.records, "\(name)")
        #expect(replayedWhole.observedTimes == replayedDribbled.observedTimes, "\(name)")
    }

    @Test func everySampleHasItsThreeRenderings() {
        #expect(Fixtures.renderedNames().count == 3 * Fixtures.sampleNames().count)
    }

    /// The Docker, containerd and CRI-O renderings (16 KiB splits, short CRI-O P chunks, ordinary lines moved to
    /// stdout between a trace's lines) merge into exactly the records of the plain capture, each stream in order.
    @Test(arguments: Fixtures.renderedNames())
    func renderingMergesLikeThePlainCapture(name: String) throws {
        let parts = name.split(separator: "/")
        let shape = parts[2].split(separator: ".")[0]
        let expected = try Fixtures.expected(
            Fixtures.samples.appendingPathComponent("\(parts[0])/\(shape).expected.jsonl"))
        let bytes = Array(try Data(contentsOf: Fixtures.samples.appendingPathComponent(name)))
        let (records, output, pipeline) = try Fixtures.run(bytes, format: .auto, chunk: 4093)
        let format = pipeline.detectedFormat(of: 0)
        #expect(format == (name.contains(".docker.") ? .docker : .cri))
        let runtime = output.sources.first?.attributes.first { $0.key == "container.runtime.name" }?.value
        let wantRuntime = name.contains(".docker.") ? "docker" : name.contains(".crio.") ? "cri-o" : "containerd"
        #expect(!records.isEmpty, "\(name)")
        #expect(runtime == wantRuntime, "\(name)")
        #expect(records.allSatisfy { !$0.malformed && !$0.truncated })

        // Each stream's records, in order, must together be exactly the expected records, with only ordinary
        // one-line records on stdout.
        let stderr = records.filter { $0.stream == .stderr }.map { ExpectedRecord(parser: $0.parser, body: $0.body) }
        var stdout = records.filter { $0.stream == .stdout }.map { ExpectedRecord(parser: $0.parser, body: $0.body) }[
            ...]
        #expect(stdout.allSatisfy { $0.parser == nil && !$0.body.contains("\n") })
        var wantStderr: [ExpectedRecord] = []
        for want in expected {
            if want.parser == nil, stdout.first == want {
                stdout.removeFirst()
            } else {
                wantStderr.append(want)
            }
        }
        #expect(stdout.isEmpty, "\(name): stdout records not in the expectation: \(stdout)")
        // Known limit, documented in Parsers/README.md: Ruby prints a cause exactly like a new uncaught error, so
        // two Ruby errors that end up back to back on one stream (the log line between them went to the other
        // stream) are one record.
        var merged: [ExpectedRecord] = []
        for want in wantStderr {
            if let last = merged.last, last.parser == "ruby", want.parser == "ruby", !want.body.hasPrefix("E, ["),
                !want.body.hasPrefix("F, ["), !want.body.hasPrefix("#<Thread")
            {
                merged[merged.count - 1].body += "\n" + want.body
            } else {
                merged.append(want)
            }
        }
        if name.hasPrefix("ruby/") { wantStderr = merged }
        #expect(stderr == wantStderr, "\(name)")
        if stderr != wantStderr {
            for (index, pair) in zip(stderr, wantStderr).enumerated() where pair.0 != pair.1 {
                Issue.record("\(name): first stderr difference at record \(index):\n got \(pair.0)\nwant \(pair.1)")
                break
            }
        }
    }
}
