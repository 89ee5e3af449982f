import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftSamples
import WeftTestSupport

/// What the client tools print on a pipe (`Samples/pipes/`: kubectl, docker -t, compose and stern rendered from the
/// captured container logs; journalctl captured from a real journald), run through the stdin filter's pipeline with
/// `--format auto`: every trace of every replica comes out whole, with the replica's attributes and its first
/// line's time, exactly as the plain capture's expectations say.
@Suite struct PipeSampleTests {
    static let pipes = Fixtures.samples.appendingPathComponent("pipes")
    /// The capture each pipe sample was made from.
    static let captures = ["java": "java/traces", "python": "python/tracebacks", "go": "go/panic"]

    struct Case: CustomStringConvertible, Sendable {
        var language: String
        var shape: String
        var format: LogFormat
        /// The resource attribute that names a replica.
        var replicaKey: String
        var replicas: [String]
        var timed: Bool
        var description: String { "\(language).\(shape)" }
    }

    static let pods = ["shop-api-7d9c5b6f4-x2x4q", "shop-api-7d9c5b6f4-mzq7w"]
    /// (shape, format, the resource attribute that names a replica, whether lines carry times).
    static let shapes: [(String, LogFormat, String, Bool)] = [
        ("kubectl", .kubectl, "k8s.pod.name", true),
        ("kubectl-prefix", .kubectl, "k8s.pod.name", false),
        ("compose", .compose, "service.instance.id", false),
        ("compose-t", .compose, "service.instance.id", true),
        ("stern", .stern, "k8s.pod.name", false),
        ("stern-color", .stern, "k8s.pod.name", true),
        ("journal-short-iso", .journal, "process.executable.name", true),
        ("journal-short-precise", .journal, "process.executable.name", true),
        ("journal-json", .journalJSON, "process.executable.name", true),
        ("timestamps", .timestamped, "", true),
    ]

    static let cases: [Case] = ["java", "python", "go"].flatMap { (language: String) -> [Case] in
        shapes.map { (shape, format, key, timed) -> Case in
            let replicas: [String]
            switch key {
            case "k8s.pod.name": replicas = pods
            case "service.instance.id": replicas = ["api-1", "worker-1"]
            case "process.executable.name": replicas = [language + "-a", language + "-b"]
            default: replicas = [""]
            }
            return Case(
                language: language, shape: shape, format: format, replicaKey: key, replicas: replicas, timed: timed)
        }
    }

    static func expected(_ language: String) throws -> [ExpectedRecord] {
        try Fixtures.expected(
            Fixtures.samples.appendingPathComponent(captures[language]! + ".expected.jsonl"))
    }

    @Test(arguments: cases)
    func everyReplicaMergesAsItsCapture(_ sample: Case) throws {
        let bytes = Array(try Data(contentsOf: Self.pipes.appendingPathComponent("\(sample.description).log")))
        let run = try Fixtures.run(bytes, chunk: 4096) { $0.plainTimestampYear = Self.year }
        let records = run.records
        #expect(run.pipeline.formats.values.first == sample.format)
        #expect(run.pipeline.statistics.malformedLines == 0)

        var expected = try Self.expected(sample.language)
        if sample.shape.hasPrefix("journal") {
            // journald drops the empty lines of a stdout stream, and journalctl's short formats print a tab as spaces
            // to the next multiple of eight (both seen in the capture): the records to expect are those of the plain
            // text journalctl printed, which the capture's own expectations cover only in part.
            var lines = try String(
                contentsOf: Fixtures.samples.appendingPathComponent(Self.captures[sample.language]! + ".log"),
                encoding: .utf8
            ).split(separator: "\n").map(String.init)
            if sample.shape != "journal-json" { lines = lines.map(Self.expandingTabs) }
            let plain = Array((lines.joined(separator: "\n") + "\n").utf8)
            expected = try Fixtures.run(plain, format: .plain).records.map {
                ExpectedRecord(parser: $0.parser, body: $0.body)
            }
        }
        for replica in sample.replicas {
            let mine = zip(records, run.output.sources).filter { record, source in
                sample.replicaKey.isEmpty
                    || source.resource.contains { $0.key == sample.replicaKey && $0.value == replica }
            }
            let actual = mine.map { ExpectedRecord(parser: $0.0.parser, body: $0.0.body) }
            #expect(actual == expected, "\(sample) \(replica)")
            if let index = SampleRun.firstDifference(actual, expected), index < min(actual.count, expected.count) {
                Issue.record("\(sample) \(replica) record \(index):\n got \(actual[index])\nwant \(expected[index])")
            }
            if sample.timed {
                // Each record has the time its first line was printed with.
                for (record, _) in mine {
                    let lines = bytes[Int(record.range.start)..<Int(record.range.end)]
                    let first = lines.prefix { $0 != UInt8(ascii: "\n") }
                    #expect(record.time == Self.printedTime(Array(first), sample.format), "\(sample) \(record)")
                }
            } else {
                // No time in the prefix: the record has the time its message starts with, if any (as plain text).
                for (record, _) in mine {
                    let first = Array(record.bodyBytes.prefix { $0 != UInt8(ascii: "\n") })
                    let printed = first.withUnsafeBytes { LeadingTimestamp.parse($0, year: 1970) }
                    #expect(record.time == (printed ?? Timestamp.none), "\(sample) \(record)")
                }
            }
        }
        let replicas = Set(run.output.sources.flatMap(\.resource).filter { $0.key == sample.replicaKey }.map(\.value))
        #expect(sample.replicaKey.isEmpty || replicas == Set(sample.replicas))
    }

    /// A traceback handed to the journal as one message of several lines (as a logging library does): in
    /// `-o short-iso` journalctl indents its later lines by the width of the first line's prefix, in `-o json` it is
    /// one `MESSAGE`. Each comes out as one record per message, per identifier, with the message's time.
    @Test(arguments: ["python.journal-multiline-short-iso", "python.journal-multiline-json"])
    func journalMessagesOfSeveralLinesAreWholeRecords(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.pipes.appendingPathComponent("\(name).log")))
        let run = try Fixtures.run(bytes, chunk: 4096)
        #expect(run.pipeline.statistics.malformedLines == 0)
        let traces = try Self.expected("python").filter { $0.parser != nil }
        #expect(!traces.isEmpty)
        for replica in ["pymulti-a", "pymulti-b"] {
            let mine = zip(run.records, run.output.sources).filter { _, source in
                source.resource.contains { $0.key == "process.executable.name" && $0.value == replica }
            }.map(\.0)
            #expect(mine.map(\.body) == traces.map(\.body), "\(name) \(replica)")
            #expect(mine.allSatisfy { $0.time != Timestamp.none })
        }
    }

    /// The same lines with the prefix layer fed a byte at a time: the same records.
    @Test(arguments: ["java.kubectl", "python.journal-json", "go.stern-color"])
    func chunkingDoesNotMatter(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.pipes.appendingPathComponent("\(name).log")))
        let whole = try Fixtures.run(bytes) { $0.plainTimestampYear = Self.year }
        let dribbled = try Fixtures.run(bytes, chunk: 7) { $0.plainTimestampYear = Self.year }
        #expect(whole.records == dribbled.records)
        #expect(whole.output.sources == dribbled.output.sources)
    }

    static func expandingTabs(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var out = ""
            for character in line {
                if character == "\t" {
                    out += String(repeating: " ", count: 8 - out.count % 8)
                } else {
                    out.append(character)
                }
            }
            return out
        }.joined(separator: "\n")
    }

    /// The time a line of the sample says it was printed at, read independently of the decoder.
    static func printedTime(_ line: [UInt8], _ format: LogFormat) -> Int64? {
        var text = String(decoding: line, as: UTF8.self)
        text = text.replacingOccurrences(of: #"\x1B\[[0-9;]*m"#, with: "", options: .regularExpression)
        switch format {
        case .journalJSON:
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let micros = (object["__REALTIME_TIMESTAMP"] as? String).flatMap({ Int64($0) })
            else { return nil }
            return micros * 1000
        case .journal:
            return text.withCString {
                LeadingTimestamp.parse(UnsafeRawBufferPointer(start: $0, count: strlen($0)), year: year)
            }
        default:
            guard
                let match = text.range(
                    of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"#, options: .regularExpression)
            else { return nil }
            return Array(text[match].utf8).withUnsafeBytes { RFC3339.parse($0) }
        }
    }

    /// The year of journal times printed without one (`short-precise`): the captures' year.
    static let year: Int64 = 2026
}
