import WeftCore
import WeftExport
import WeftOutput

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Records with arbitrary bodies, parsers and source descriptions through the three encoders.
///
/// Every JSON line parses (Foundation's `JSONDecoder` as the independent reader) and its body is the record's text,
/// with each invalid UTF-8 sequence replaced as the standard library replaces it; the OTLP/JSON payload parses and
/// carries every body; the OTLP protobuf payload is well-formed wire format whose string fields are valid UTF-8 and
/// carry every body.
enum EncoderFuzz {
    private struct Request: Decodable { var resourceLogs: [ResourceLogs] }
    private struct ResourceLogs: Decodable { var scopeLogs: [ScopeLogs] }
    private struct ScopeLogs: Decodable { var logRecords: [LogRecord] }
    private struct LogRecord: Decodable { var body: AnyValue }
    private struct AnyValue: Decodable { var stringValue: String }

    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        var reader = FuzzReader(data)
        let info = SourceInfo(
            path: String(decoding: reader.take(Int(reader.byte() % 32)), as: UTF8.self),
            resource: [("k8s.pod.name", String(decoding: reader.take(Int(reader.byte() % 16)), as: UTF8.self))],
            attributes: [(String(decoding: reader.take(Int(reader.byte() % 8)), as: UTF8.self), "v")])
        var json = JSONLinesEncoder()
        var otlpJSON = OTLPJSONEncoder(scopeVersion: "fuzz")
        var otlp = OTLPLogsEncoder(scopeVersion: "fuzz")
        var expected: [String] = []
        var lines: [UInt8] = []
        var sequence: UInt64 = 0
        while !reader.isAtEnd {
            let op = reader.byte()
            let body = reader.take(reader.uint16() % 600)
            sequence += 1
            let parsers = [nil, "java", "python", String(decoding: body.prefix(4), as: UTF8.self)]
            body.withUnsafeBytes { bytes in
                let record = Record(
                    source: 1, stream: LogStream(rawValue: op % 3) ?? .unknown,
                    time: op & 0x10 == 0 ? Timestamp.none : Int64(op) &* 1_000_000_007,
                    observedTime: 1_700_000_000_000_000_000, body: bytes, lineCount: Int(op % 5) + 1,
                    parser: parsers[Int(op >> 6)], flushReason: FlushReason(rawValue: op % 8) ?? .nextRecord,
                    truncated: op & 0x20 != 0, malformed: op & 0x08 != 0, continuation: op & 0x04 != 0,
                    sequence: sequence)
                json.encode(record, source: info, into: &lines)
                otlpJSON.append(record, source: info)
                otlp.append(record, source: info)
            }
            expected.append(String(decoding: body, as: UTF8.self))
        }
        // JSON lines: one per record, each a JSON object with the body's text.
        var decoded: [String] = []
        for line in lines.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            guard let body = jsonLineBody(line) else {
                throw FuzzViolation(.encoders, "a JSON line does not parse: \(String(decoding: line, as: UTF8.self))")
            }
            decoded.append(body)
        }
        try require(decoded == expected, .encoders, "JSON lines bodies \(decoded) differ from \(expected)")
        try require(lines.isEmpty || lines.last == 0x0A, .encoders, "the last JSON line is not terminated")

        guard !expected.isEmpty else { return }
        let payload = Array(otlpJSON.finish())
        let request: Request
        do {
            request = try JSONDecoder().decode(Request.self, from: Data(payload))
        } catch {
            throw FuzzViolation(.encoders, "the OTLP/JSON payload does not parse: \(error)")
        }
        let jsonBodies = request.resourceLogs.flatMap { $0.scopeLogs.flatMap { $0.logRecords.map(\.body.stringValue) } }
        try require(jsonBodies == expected, .encoders, "OTLP/JSON bodies differ")

        let wire = Array(otlp.finish())
        let wireBodies: [String]
        do {
            wireBodies = try ProtobufReader.logBodies(wire)
        } catch {
            throw FuzzViolation(.encoders, "the OTLP protobuf payload is malformed: \(error.message)")
        }
        try require(wireBodies == expected, .encoders, "OTLP protobuf bodies differ")
    }
}
