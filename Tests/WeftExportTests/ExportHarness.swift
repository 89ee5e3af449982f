import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftExport
import WeftMultiline
import WeftOutput
import WeftPipeline
import WeftTestSupport

/// Encodes every record it is given three ways at once, while the record is lent: JSON lines (the reference), OTLP
/// protobuf and OTLP/JSON. Notes for each record which `ResourceLogs` it should land in.
struct TripleOutput: RecordOutput {
    static let scopeVersion = "9.8.7-test"

    var table = SourceTable()
    var lines = JSONLinesEncoder()
    var protobuf = OTLPLogsEncoder(scopeVersion: scopeVersion)
    var json = OTLPJSONEncoder(scopeVersion: scopeVersion)
    var jsonLines: [UInt8] = []
    /// Per record: its group (sources in order of first record; a source described anew starts another), its
    /// parser and raw body.
    var groups: [Int] = []
    var parsers: [String?] = []
    var bodies: [[UInt8]] = []
    private var groupOfSource: [SourceID: (info: SourceInfo, group: Int)] = [:]
    private var groupCount = 0

    mutating func write(_ record: Record) {
        let info = table[record.source]
        append(record, info)
    }

    mutating func append(_ record: Record, _ info: SourceInfo) {
        lines.encode(record, source: info, into: &jsonLines)
        protobuf.append(record, source: info)
        json.append(record, source: info)
        if let known = groupOfSource[record.source], known.info == info {
            groups.append(known.group)
        } else {
            groupOfSource[record.source] = (info, groupCount)
            groups.append(groupCount)
            groupCount += 1
        }
        parsers.append(record.parser)
        bodies.append(Array(record.body))
    }

    mutating func describe(_ source: SourceID, as info: SourceInfo) {
        table.set(source, info)
    }

    mutating func release(_ source: SourceID) {
        table.remove(source)
        lines.forget(source)
        protobuf.forget(source)
        json.forget(source)
    }

    /// The JSON lines, in the order the OTLP request holds them: by group, then as written.
    func expectedRecords() throws -> [FlatRecord] {
        let decoded = try String(decoding: jsonLines, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(FlatRecord.self, from: Data($0.utf8))
        }
        #expect(decoded.count == groups.count)
        return decoded.indices.sorted { (groups[$0], $0) < (groups[$1], $1) }.map { decoded[$0] }
    }

    /// The severity each record should carry, in the same order.
    func expectedSeverities() -> [Severity?] {
        let severities = bodies.indices.map { index in
            bodies[index].withUnsafeBytes { Severity.detect(in: $0, mergedByParser: parsers[index] != nil) }
        }
        return severities.indices.sorted { (groups[$0], $0) < (groups[$1], $1) }.map { severities[$0] }
    }

    var groupTotal: Int { groupCount }
}

/// An attribute's value, typed as JSON types it: the JSON lines and the decoder's output are read the same way.
enum AttributeValue: Codable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }

    var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .int(let value): "\(value)"
        case .bool(let value): "\(value)"
        }
    }
}

/// One record in the shape of a JSON line (what the two encodings must agree on).
struct FlatRecord: Codable, Equatable {
    var timestamp: String?
    var observed_timestamp: String?
    var body: String
    var attributes: [String: AttributeValue]
    var resource: [String: AttributeValue]?

    /// Without the JSON lines' leaving out of an empty resource.
    var normalized: FlatRecord {
        var copy = self
        if copy.resource == nil { copy.resource = [:] }
        return copy
    }
}

/// What `Support/decode_otlp.py` prints for a payload.
struct DecodedRequest: Codable, Equatable {
    struct Scope: Codable, Equatable {
        var name: String
        var version: String
    }

    struct Record: Codable, Equatable {
        var timestamp: String?
        var observed_timestamp: String?
        var severity_number: Int
        var severity_text: String
        var body: String
        var attributes: [String: AttributeValue]
        var resource: [String: AttributeValue]
        var scope: Scope

        var flat: FlatRecord {
            FlatRecord(
                timestamp: timestamp, observed_timestamp: observed_timestamp, body: body, attributes: attributes,
                resource: resource)
        }
    }

    var resource_logs: Int
    var canonical: Bool
    var records: [Record]
}

enum OTLPDecoder {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Support/decode_otlp.py")

    enum Kind: String {
        case protobuf, json
    }

    /// Decodes `payload` with the official OTLP definitions (Python's opentelemetry-proto).
    static func decode(_ payload: UnsafeRawBufferPointer, as kind: Kind, gzip: Bool = false) throws -> DecodedRequest {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weft-otlp-\(UUID()).bin")
        try Data(payload).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, kind.rawValue, file.path] + (gzip ? ["--gzip"] : [])
        let errorFile = file.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw DecodeFailure(
                message: "decode_otlp.py \(kind) failed (\(process.terminationStatus)); missing opentelemetry-proto? "
                    + "run scripts/ensure-deps. " + errorText)
        }
        return try JSONDecoder().decode(DecodedRequest.self, from: output)
    }

    struct DecodeFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Runs several inputs through one pipeline as separate sources, fed a chunk of each in turn so that their records
/// interleave, into a ``TripleOutput``.
func runSources(_ inputs: [(path: String?, bytes: [UInt8])], chunk: Int = 4096) throws -> TripleOutput {
    var pipeline = Pipeline(parsers: try ParserSet.make(), configuration: PipelineConfiguration())
    var output = TripleOutput()
    var clock = ManualClock()
    let sources = inputs.map { pipeline.addSource(SourceInfo(path: $0.path)) }
    var offsets = inputs.map { _ in 0 }
    var open = Set(inputs.indices)
    while !open.isEmpty {
        for index in inputs.indices where open.contains(index) {
            let bytes = inputs[index].bytes
            let end = min(bytes.count, offsets[index] + chunk)
            bytes[offsets[index]..<end].withUnsafeBytes {
                pipeline.feed($0, from: sources[index], now: clock.now, into: &output)
            }
            offsets[index] = end
            if end == bytes.count {
                pipeline.endOfSource(sources[index], now: clock.now, into: &output)
                open.remove(index)
            }
        }
        clock.advance(byMilliseconds: 1)
    }
    pipeline.finish(now: clock.now, into: &output)
    return output
}

/// Checks that the protobuf and OTLP/JSON requests of `output`'s batch decode, with the official definitions, to
/// exactly what its JSON lines say, record by record, plus the scope, the severities and the grouping.
func expectRequestsMatchJSONLines(_ output: inout TripleOutput, sourceLocation: SourceLocation = #_sourceLocation)
    throws
{
    let expected = try output.expectedRecords().map(\.normalized)
    let severities = output.expectedSeverities()
    let protobufSize = output.protobuf.byteCount
    let protobufCount = output.protobuf.recordCount
    let jsonSize = output.json.byteCount
    let protobuf = output.protobuf.finish()
    #expect(protobuf.count == protobufSize, "byteCount announces the request's size", sourceLocation: sourceLocation)
    #expect(protobufCount == expected.count, sourceLocation: sourceLocation)
    let fromProtobuf = try OTLPDecoder.decode(protobuf, as: .protobuf)
    let json = output.json.finish()
    #expect(json.count == jsonSize, "byteCount announces the request's size", sourceLocation: sourceLocation)
    let fromJSON = try OTLPDecoder.decode(json, as: .json)

    #expect(fromProtobuf.canonical, "protobuf re-serializes the payload byte for byte", sourceLocation: sourceLocation)
    #expect(fromProtobuf.resource_logs == output.groupTotal, sourceLocation: sourceLocation)
    #expect(fromProtobuf == fromJSON, "OTLP/JSON says what protobuf says", sourceLocation: sourceLocation)
    #expect(fromProtobuf.records.count == expected.count, sourceLocation: sourceLocation)
    for (index, record) in fromProtobuf.records.enumerated() where index < expected.count {
        #expect(record.flat == expected[index], "record \(index)", sourceLocation: sourceLocation)
        #expect(record.scope == .init(name: "weft", version: TripleOutput.scopeVersion), sourceLocation: sourceLocation)
        #expect(
            record.severity_number == severities[index]?.number ?? 0, "record \(index)", sourceLocation: sourceLocation)
        #expect(
            record.severity_text == severities[index]?.text ?? "", "record \(index)", sourceLocation: sourceLocation)
    }
    #expect(
        output.protobuf.recordCount == 0 && output.json.recordCount == 0, "finish empties the batch",
        sourceLocation: sourceLocation)
}
