import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftSamples
import WeftTestSupport

/// Keeps every record with the description of its source at the time, for assertions.
struct CollectingOutput: RecordOutput {
    var sink = CollectingSink()
    /// Per record, what the output had been told of its source.
    var sources: [SourceInfo] = []
    var table = SourceTable()

    mutating func write(_ record: Record) {
        precondition(table.contains(record.source), "a record of a source the output was not told of")
        sink.write(record)
        sources.append(table[record.source])
    }

    mutating func describe(_ source: SourceID, as info: SourceInfo) {
        sink.describe(source, as: info)
        table.set(source, info)
    }

    mutating func release(_ source: SourceID) {
        sink.release(source)
        table.remove(source)
    }

    var records: [CollectedRecord] { sink.records }
}

/// What a finished fixture run leaves to inspect (its source is released by then).
struct FinishedRun {
    var formats: [SourceID: LogFormat]
    var statistics: PipelineStatistics

    func detectedFormat(of source: SourceID) -> LogFormat? { formats[source] }
}

enum Fixtures {
    static let samples = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("Samples")

    /// Runs `bytes` through a pipeline in chunks of `chunk` bytes and returns the records.
    static func run(
        _ bytes: [UInt8], format: LogFormat = .auto, chunk: Int = 1 << 16, path: String? = nil,
        configure: (inout PipelineConfiguration) -> Void = { _ in }
    ) throws -> (records: [CollectedRecord], output: CollectingOutput, pipeline: FinishedRun) {
        var configuration = PipelineConfiguration()
        configuration.format = format
        configure(&configuration)
        var pipeline = Pipeline(parsers: try ParserSet.make(), configuration: configuration)
        var output = CollectingOutput()
        let source = pipeline.addSource(SourceInfo(path: path))
        var clock = ManualClock()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            bytes[offset..<end].withUnsafeBytes { pipeline.feed($0, from: source, now: clock.now, into: &output) }
            offset = end
            clock.advance(byMilliseconds: 1)
        }
        pipeline.endOfSource(source, now: clock.now, into: &output)
        let format = pipeline.detectedFormat(of: source)
        pipeline.finish(now: clock.now, into: &output)
        #expect(pipeline.sourceCount == 0, "an ended source is released once its records have left")
        return (
            output.records, output,
            FinishedRun(formats: [source: format].compactMapValues { $0 }, statistics: pipeline.statistics)
        )
    }

    /// The expected records of a sample: (parser, body) per line of its `.expected.jsonl`.
    static func expected(_ url: URL) throws -> [ExpectedRecord] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(ExpectedRecord.self, from: Data($0.utf8))
        }
    }

    /// One Docker json-file line carrying `log`, escaped as Docker does.
    static func docker(_ log: String, stream: String = "stderr", time: String = "2026-11-29T05:00:00.5Z") -> String {
        "{\"log\":\(GoJSON.quoted(log)),\"stream\":\"\(stream)\",\"time\":\"\(time)\"}\n"
    }

    /// Every sample capture that has an expectation, as paths relative to Samples/.
    static func sampleNames() -> [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
        let languages = folders.sorted()
        var names: [String] = []
        for language in languages {
            let folder = samples.appendingPathComponent(language)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".expected.jsonl") {
                let log = String(file.dropLast(".expected.jsonl".count)) + ".log"
                if files.contains(log) { names.append("\(language)/\(log)") }
            }
        }
        return names
    }
}

extension Fixtures {
    /// Every runtime rendering of a sample (`<lang>/rendered/<shape>.<docker|containerd|crio>.log`), relative to
    /// Samples/.
    static func renderedNames() -> [String] {
        var names: [String] = []
        for sample in sampleNames() {
            let language = sample.split(separator: "/")[0]
            let shape = sample.split(separator: "/")[1].dropLast(".log".count)
            for format in ["docker", "containerd", "crio"] {
                let name = "\(language)/rendered/\(shape).\(format).log"
                if FileManager.default.fileExists(atPath: samples.appendingPathComponent(name).path) {
                    names.append(name)
                }
            }
        }
        return names
    }
}
