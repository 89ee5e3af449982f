import Foundation
import Testing
import WeftCore
import WeftExport
import WeftOutput
import WeftTestSupport

@Suite struct OTLPEncoderTests {
    static let samples = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("Samples")

    /// Every sample capture and its runtime renderings, as (name relative to Samples/, bytes).
    static func sampleFiles() throws -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        let languages = try FileManager.default.contentsOfDirectory(atPath: samples.path).sorted()
        for language in languages {
            for folder in [language, "\(language)/rendered"] {
                let url = samples.appendingPathComponent(folder)
                let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                for name in names.sorted() where name.hasSuffix(".log") {
                    files.append(("\(folder)/\(name)", Array(try Data(contentsOf: url.appendingPathComponent(name)))))
                }
            }
        }
        return files
    }

    /// Every sample at once, one source each, their records interleaved: sources under kubelet paths (a resource of
    /// five attributes), under plain paths and on standard input (no resource).
    @Test func samplesInOneBatchDecodeAsTheirJSONLines() throws {
        let files = try Self.sampleFiles()
        #expect(files.count > 20)
        let inputs: [(path: String?, bytes: [UInt8])] = files.enumerated().map { index, file in
            let name = file.0.replacingOccurrences(of: "/", with: "-")
            let path: String? =
                switch index % 3 {
                case 0: "/var/log/pods/samples_\(name)-\(index)_0b6c\(index)/app/0.log"
                case 1: "/logs/\(name)"
                default: index == 2 ? nil : "/var/log/pods/ns\(index)_pod\(index)_uid\(index)/c\(index)/3.log"
                }
            return (path, file.1)
        }
        var output = try runSources(inputs, chunk: 3000)
        #expect(output.groups.count > 200)
        // A pipe sample (Samples/pipes) interleaves two replicas, each a resource of its own; its source has none.
        let replicated = files.filter { $0.0.hasPrefix("pipes/") && !$0.0.hasSuffix(".timestamps.log") }.count
        #expect(replicated > 0)
        #expect(output.groupTotal == inputs.count + replicated)
        #expect(output.parsers.contains { $0 != nil })
        try expectRequestsMatchJSONLines(&output)
    }

    /// A finished encoder starts the next batch clean, with its caches warm (and copies of it stay apart).
    @Test func successiveBatchesOfOneEncoder() throws {
        let files = try Self.sampleFiles().prefix(6)
        var output = try runSources(files.map { ("/logs/\($0.0)", $0.1) })
        try expectRequestsMatchJSONLines(&output)
        var next = TripleOutput()
        next.protobuf = output.protobuf
        next.json = output.json
        appendEdgeCases(to: &next, large: false)
        try expectRequestsMatchJSONLines(&next)
        // The first encoders, untouched by the copies' batch, are still empty.
        #expect(output.protobuf.recordCount == 0 && output.protobuf.finish().count == 0)
    }

    @Test func edgeCasesDecodeAsTheirJSONLines() throws {
        var output = TripleOutput()
        appendEdgeCases(to: &output)
        try expectRequestsMatchJSONLines(&output)
    }

    @Test func emptyBatch() throws {
        var protobuf = OTLPLogsEncoder(scopeVersion: "1")
        var json = OTLPJSONEncoder(scopeVersion: "1")
        #expect(protobuf.byteCount == 0 && protobuf.recordCount == 0)
        let bytes = protobuf.finish()
        #expect(bytes.count == 0)
        #expect(try OTLPDecoder.decode(bytes, as: .protobuf).resource_logs == 0)
        let text = json.finish()
        #expect(String(decoding: text, as: UTF8.self) == #"{"resourceLogs":[]}"#)
        #expect(try OTLPDecoder.decode(text, as: .json).resource_logs == 0)
    }

    /// Bodies and lengths whose encodings are easy to get wrong: each repair of invalid UTF-8, empty, one MiB,
    /// lengths around the varint boundaries, no timestamps, every flag, a source changing within the batch and a
    /// released id reused.
    func appendEdgeCases(to output: inout TripleOutput, large: Bool = true) {
        let pod = SourceInfo(
            path: "/var/log/pods/shop_api-7d9_0b6c/api/0.log",
            resource: [(key: "k8s.namespace.name", value: "shop"), (key: "k8s.pod.name", value: "api-7d9")],
            attributes: [(key: "container.runtime.name", value: "containerd")])
        let odd = SourceInfo(
            path: "/logs/we\"ird\\path\n.log", resource: [(key: "k\"é", value: "v\u{1}✓")],
            attributes: [(key: "tab\tkey", value: "ünïcode")])
        let stdin = SourceInfo(path: nil)

        var bodies: [[UInt8]] = [
            [], Array("hello".utf8), [0xFF], Array("ab".utf8) + [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x98] + Array("x".utf8), Array("ok 😀 é ✓".utf8),
            [0x00, 0x01, 0x7F, 0x22, 0x5C, 0x0A, 0x09], [0xE2, 0x82], [0x80, 0x80, 0x80],
            Array("ERROR something broke\n\tat x".utf8), Array("I0314 09:00:01.000000 1 x.go:1] hi".utf8),
            Array("E, [2026-03-14T09:00:01.000 #1] ERROR -- : boom".utf8),
        ]
        // Around the varint boundaries of the body's, the AnyValue's and the LogRecord's lengths (WireTests covers
        // longer varints without megabytes of test data: tests in this process watch resident memory).
        for length in [123, 124, 125, 126, 127, 128, 16375, 16376, 16377, 16383, 16384] {
            bodies.append(Array(repeating: UInt8(ascii: "a"), count: length))
        }
        // One MiB of text with multibyte characters and invalid bytes scattered through it.
        var big = Array(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for index in stride(from: 1000, to: big.count - 8, by: 65_537) {
            big.replaceSubrange(index..<index + 4, with: [0xE2, 0x9C, 0x93, 0xFE])
        }
        if large { bodies.append(big) }
        bodies.append(Array(repeating: 0xFF, count: 50_000))  // 150,000 bytes once repaired: a longer varint

        var sequence: UInt64 = 1
        func record(_ body: [UInt8], source: SourceID, _ info: SourceInfo, _ change: (inout Record) -> Void = { _ in })
        {
            body.withUnsafeBytes { bytes in
                var record = Record(
                    source: source, stream: .stderr, time: 1_773_478_801_123_456_789,
                    observedTime: 1_773_478_802_000_000_500, body: bytes, lineCount: 1, parser: nil,
                    flushReason: .nextRecord, sequence: sequence)
                change(&record)
                sequence += 1
                output.append(record, info)
            }
        }
        for (index, body) in bodies.enumerated() {
            record(body, source: SourceID(index % 3), [pod, odd, stdin][index % 3]) { record in
                record.stream = [.stdout, .stderr, .unknown][index % 3]
                record.flushReason = FlushReason.allCases[index % FlushReason.allCases.count]
                record.parser = index % 4 == 0 ? "python" : index % 4 == 1 ? "my \"parser\" ✓" : nil
                record.lineCount = [1, 127, 128, 300, 1 << 40][index % 5]
                record.truncated = index % 2 == 0
                record.malformed = index % 3 == 0
                record.continuation = index % 5 == 0
            }
        }
        record(Array("no times".utf8), source: 0, pod) { record in
            record.time = Timestamp.none
            record.observedTime = Timestamp.none
        }
        record(Array("no time".utf8), source: 1, odd) { $0.time = Timestamp.none }
        record(Array("epoch".utf8), source: 2, stdin) { $0.observedTime = 1 }
        // Source 0 described anew within the batch: its later records are another resource.
        let moved = SourceInfo(path: "/logs/moved.log", resource: [(key: "service.name", value: "moved")])
        record(Array("after the move".utf8), source: 0, moved)
        output.protobuf.forget(1)
        output.json.forget(1)
        output.lines.forget(1)
        record(Array("a new source on a reused id".utf8), source: 1, SourceInfo(path: "/logs/new.log"))
        record(Array("WARNING: high ids".utf8), source: 5_000_000, pod)
        // More parser names than the encoders cache: the rest are encoded per record.
        for index in 0..<300 {
            record(Array("parsed \(index)".utf8), source: 2, stdin) { $0.parser = "parser-\(index)" }
        }
        // Many sources, interleaved.
        for round in 0..<3 {
            for id in 10..<60 {
                let info = SourceInfo(
                    path: "/logs/\(id).log", resource: [(key: "service.instance.id", value: "\(id)")])
                record(Array("round \(round) of \(id)".utf8), source: SourceID(id), info)
            }
        }
    }
}
