import Foundation
import Testing
import WeftCore
import WeftOutput
import WeftTestSupport

@Suite struct JSONLinesEncoderTests {
    let pod = SourceInfo(
        path: "/var/log/pods/shop_api-7d9/api/0.log",
        resource: [(key: "k8s.namespace.name", value: "shop"), (key: "k8s.pod.name", value: "api-7d9")],
        attributes: [(key: "container.runtime.name", value: "containerd")]
    )

    @Test func fullRecord() {
        let body = Array("Traceback (most recent call last):\n  File \"x.py\", line 1\n\tbad ".utf8) + [0xFF]
        let out = encode(body: body, source: pod) { record in
            record.stream = .stderr
            record.time = nanos(2026, 3, 14, 9, 0, 1, fraction: 123_456_789)
            record.observedTime = nanos(2026, 3, 14, 9, 0, 2, fraction: 500)
            record.lineCount = 3
            record.parser = "python"
            record.truncated = true
            record.malformed = true
            record.continuation = true
        }
        let expected =
            #"{"timestamp":"2026-03-14T09:00:01.123456789Z","observed_timestamp":"2026-03-14T09:00:02.000000500Z","#
            + #""body":"Traceback (most recent call last):\n  File \"x.py\", line 1\n\tbad \#u{FFFD}","#
            + #""attributes":{"log.iostream":"stderr","log.file.path":"/var/log/pods/shop_api-7d9/api/0.log","#
            + #""container.runtime.name":"containerd","weft.parser":"python","weft.lines":3,"#
            + #""weft.flush_reason":"next_record","weft.truncated":true,"weft.malformed":true,"#
            + #""weft.continuation":true,"weft.invalid_utf8":true},"#
            + #""resource":{"k8s.namespace.name":"shop","k8s.pod.name":"api-7d9"}}"# + "\n"
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(parse(out) != nil)
    }

    @Test func unknownFieldsAreLeftOut() {
        let out = encode(body: Array("hello".utf8)) { record in
            record.flushReason = .timeout
        }
        let expected =
            #"{"body":"hello","attributes":{"weft.lines":1,"weft.flush_reason":"timeout","weft.truncated":false}}"#
            + "\n"
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test func observedTimestampWithoutTimestamp() {
        let out = encode(body: [], source: SourceInfo(path: "/a.log")) { record in
            record.observedTime = 0
            record.stream = .stdout
        }
        let expected =
            #"{"observed_timestamp":"1970-01-01T00:00:00.000000000Z","body":"","#
            + #""attributes":{"log.iostream":"stdout","log.file.path":"/a.log","weft.lines":1,"#
            + #""weft.flush_reason":"next_record","weft.truncated":false}}"# + "\n"
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test(arguments: FlushReason.allCases)
    func flushReasonsUseTheirNames(reason: FlushReason) throws {
        let out = encode(body: Array("x".utf8)) { $0.flushReason = reason }
        let object = try #require(parse(out))
        let attributes = try #require(object["attributes"] as? [String: Any])
        #expect(attributes["weft.flush_reason"] as? String == reason.description)
    }

    @Test func sourceStringsAreEscaped() throws {
        let odd = SourceInfo(
            path: "/logs/we\"ird\\path\n.log",
            resource: [(key: "k\"", value: "v\u{1}é")],
            attributes: [(key: "tab\tkey", value: "ünïcode ✓")]
        )
        let out = encode(body: Array("b".utf8), source: odd) { $0.parser = "my \"parser\"" }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#""log.file.path":"/logs/we\"ird\\path\n.log""#))
        #expect(text.contains(#""tab\tkey":"ünïcode ✓""#))
        #expect(text.contains(#""resource":{"k\"":"v\u0001é"}"#))
        #expect(text.contains(#""weft.parser":"my \"parser\"""#))
        let object = try #require(parse(out))
        #expect((object["attributes"] as? [String: Any])?["log.file.path"] as? String == odd.path)
    }

    @Test func sourceCacheNoticesChangedSourceInfo() {
        var encoder = JSONLinesEncoder()
        var info = SourceInfo(path: "/a.log")
        let first = encode(body: [], source: info, encoder: &encoder)
        info.attributes.append((key: "container.runtime.name", value: "docker"))
        info.resource.append((key: "container.id", value: "abc"))
        let second = encode(body: [], source: info, encoder: &encoder)
        let other = encode(body: [], source: SourceInfo(path: "/b.log"), encoder: &encoder) { $0.source = 7 }
        let third = encode(body: [], source: info, encoder: &encoder)
        let huge = encode(body: [], source: info, encoder: &encoder) { $0.source = .max }
        #expect(!String(decoding: first, as: UTF8.self).contains("docker"))
        #expect(String(decoding: second, as: UTF8.self).contains(#""container.runtime.name":"docker","#))
        #expect(String(decoding: second, as: UTF8.self).hasSuffix(#""resource":{"container.id":"abc"}}"# + "\n"))
        #expect(String(decoding: other, as: UTF8.self).contains("/b.log"))
        #expect(third == second)
        #expect(huge == second)
    }

    @Test func sourcesThatKeepChangingStayCorrect() {
        // Two descriptions alternating under one id re-encode every time; the cache must compact its dead bytes.
        var encoder = JSONLinesEncoder()
        let long = String(repeating: "d", count: 200)
        for index in 0..<3000 {
            let path = "/\(long)/\(index % 2 == 0 ? "even" : "odd").log"
            let info = SourceInfo(path: path, resource: [(key: "n", value: String(index))])
            let text = String(decoding: encode(body: [], source: info, encoder: &encoder), as: UTF8.self)
            #expect(text.contains(#""log.file.path":"\#(path)""#))
            #expect(text.hasSuffix(#""resource":{"n":"\#(index)"}}"# + "\n"))
        }
    }

    @Test func manyParserNames() {
        var encoder = JSONLinesEncoder()
        for index in 0..<600 {
            let name = "parser-\(index % 300)"
            let text = String(decoding: encode(body: [], encoder: &encoder) { $0.parser = name }, as: UTF8.self)
            #expect(text.contains(#""weft.parser":"\#(name)","#))
        }
    }

    @Test func copiesOfAnEncoderAreIndependent() {
        var first = JSONLinesEncoder()
        _ = encode(body: Array("warm".utf8), encoder: &first)
        var second = first
        let a = encode(body: Array("one".utf8), encoder: &first)
        let b = encode(body: Array(String(repeating: "two", count: 5000).utf8), encoder: &second)
        let c = encode(body: Array("one".utf8), encoder: &first)
        #expect(a == c)
        #expect(String(decoding: b, as: UTF8.self).contains(String(repeating: "two", count: 5000)))
    }

    @Test func consecutiveRecordsAppendToTheSameBuffer() {
        var encoder = JSONLinesEncoder()
        var out: [UInt8] = []
        let base = nanos(2026, 3, 14, 9, 0, 1)
        for index in 0..<3 {
            Array("line \(index)".utf8).withUnsafeBytes { body in
                let record = Record(
                    source: 0, stream: .stdout, time: base + Int64(index) * 400_000_000, observedTime: base,
                    body: body, lineCount: 1, parser: nil, flushReason: .nextRecord)
                encoder.encode(record, source: SourceInfo(path: nil), into: &out)
            }
        }
        let lines = out.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"timestamp":"2026-03-14T09:00:01.000000000Z""#))
        #expect(lines[1].hasPrefix(#"{"timestamp":"2026-03-14T09:00:01.400000000Z""#))
        #expect(lines[2].hasPrefix(#"{"timestamp":"2026-03-14T09:00:01.800000000Z""#))
        #expect(lines[2].contains(#""body":"line 2""#))
        // The same observed time three times over (the cache's exact hit).
        #expect(lines.allSatisfy { $0.contains(#""observed_timestamp":"2026-03-14T09:00:01.000000000Z""#) })
    }

    @Test func bodyFormatWritesTheRawBody() {
        let body = Array("Traceback:\n  File \"x\"\n".utf8) + [0xFF, 0x00]
        let out = encode(body: body, source: pod, format: .body) { $0.parser = "python" }
        #expect(out == body + [0x0A])
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomBodiesAlwaysGiveValidJSON(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let pieces: [[UInt8]] = [
            Array("plain text ".utf8), Array("\"quoted\" \\ back".utf8), [0x0A], [0x0D, 0x0A], [0x09], [0x00], [0x1B],
            [0x7F], Array("é".utf8), Array("€".utf8), Array("😀".utf8), Array("\u{10FFFF}".utf8), [0x80], [0xC0, 0xAF],
            [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x98], [0xE2, 0x82], [0xFF],
        ]
        for round in 0..<300 {
            var body: [UInt8] = []
            let count = Int.random(in: 0...40, using: &random)
            for _ in 0..<count {
                if round % 3 == 0 {
                    body.append(UInt8.random(in: 0...255, using: &random))  // pure noise
                } else {
                    body.append(contentsOf: pieces.randomElement(using: &random)!)
                }
            }
            let out = encode(body: body) { $0.observedTime = 0 }
            let object = try #require(parse(out), "not valid JSON for \(body)")
            // Foundation's own repair follows the same maximal-subpart rule, so the decoded body must match it.
            #expect(object["body"] as? String == String(decoding: body, as: UTF8.self))
            let attributes = try #require(object["attributes"] as? [String: Any])
            let valid = String(validating: body, as: UTF8.self) != nil
            #expect((attributes["weft.invalid_utf8"] as? Bool ?? false) == !valid)
            if valid {
                #expect(Array((object["body"] as? String ?? "").utf8) == body)  // round trip
            }
        }
    }
}
