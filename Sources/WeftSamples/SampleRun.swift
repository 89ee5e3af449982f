import WeftCore
import WeftDecoding
import WeftMultiline
import WeftOutput
import WeftPipeline

/// One record in the expectation format shared by `weft parsers test` and `Samples/*.expected.jsonl`:
/// `{"parser": "python" or null, "body": "..."}`.
public struct ExpectedRecord: Codable, Equatable, Sendable, CustomStringConvertible {
    public var parser: String?
    public var body: String

    public init(parser: String?, body: String) {
        self.parser = parser
        self.body = body
    }

    /// The record as one JSON line, keys in the order above.
    public var jsonLine: String {
        var out: [UInt8] = Array(#"{"parser":"#.utf8)
        if let parser {
            out.append(UInt8(ascii: "\""))
            JSONString.appendEscaped(parser, to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            out += Array("null".utf8)
        }
        out += Array(#","body":""#.utf8)
        JSONString.appendEscaped(body, to: &out)
        out += Array("\"}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { jsonLine }
}

/// Runs a whole sample through a pipeline on the sample's own clock (as replay does) and keeps its records as
/// expectations: what `weft parsers test` compares.
public enum SampleRun {
    public static func records(
        of bytes: [UInt8], parsers: ParserSet, format: LogFormat = .auto, path: String? = nil
    ) -> [ExpectedRecord] {
        var configuration = PipelineConfiguration()
        configuration.format = format
        configuration.clock = .logTimestamps
        var pipeline = Pipeline(parsers: parsers, configuration: configuration)
        var output = ExpectationOutput()
        let source = pipeline.addSource(SourceInfo(path: path))
        bytes.withUnsafeBytes { pipeline.feed($0, from: source, now: 0, into: &output) }
        pipeline.endOfSource(source, now: 0, into: &output)
        pipeline.finish(now: 0, into: &output)
        return output.records
    }

    /// Where `actual` first differs from `expected` (an index into both), or nil when they are equal.
    public static func firstDifference(_ actual: [ExpectedRecord], _ expected: [ExpectedRecord]) -> Int? {
        if actual == expected { return nil }
        return zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(actual.count, expected.count)
    }
}

struct ExpectationOutput: RecordOutput {

    var records: [ExpectedRecord] = []

    mutating func write(_ record: Record) {
        records.append(ExpectedRecord(parser: record.parser, body: String(decoding: record.body, as: UTF8.self)))
    }
}
