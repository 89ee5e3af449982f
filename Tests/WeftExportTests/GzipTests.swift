import CZlib
import Foundation
import Testing
import WeftCore
import WeftExport

@Suite struct GzipTests {
    /// zlib's inflate, as a receiver decodes `Content-Encoding: gzip`.
    static func inflate(_ compressed: UnsafeRawBufferPointer) -> [UInt8]? {
        var stream = z_stream()
        guard weft_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(compressed.count)
        while true {
            let (code, produced) = chunk.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                return (code, buffer.count - Int(stream.avail_out))
            }
            out += chunk[..<produced]
            if code == Z_STREAM_END { return stream.avail_in == 0 ? out : nil }
            guard code == Z_OK else { return nil }
        }
    }

    static func text(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let words = ["at", "com.example.orders", "Exception", "\n\t", "12", "failed", " ", "INFO", "{}"]
        var out: [UInt8] = []
        while out.count < count { out += Array(words.randomElement(using: &generator)!.utf8) }
        return Array(out.prefix(count))
    }

    @Test(arguments: [0, 1, 6, 9])
    func roundTripsThroughInflate(level: Int) throws {
        var gzip = try Gzip(level: level)
        for input in [
            [], Array("x".utf8), Self.text(100_000), Self.text(300_000), (0..<70_000).map { UInt8($0 % 251) },
        ] {
            let compressed = input.withUnsafeBytes { gzip.compress($0) }
            #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B], "a gzip member")
            #expect(Self.inflate(compressed) == input, "level \(level), \(input.count) bytes")
        }
    }

    @Test func anOTLPRequestGzippedDecodesWithTheOfficialDefinitions() throws {
        var output = TripleOutput()
        for index in 0..<200 {
            Array("ERROR record \(index)\n\tat somewhere".utf8).withUnsafeBytes { body in
                output.append(
                    Record(
                        source: SourceID(index % 4), stream: .stdout, time: 1_773_478_801_000_000_000 + Int64(index),
                        observedTime: 1_773_478_801_000_000_000, body: body, lineCount: 2, parser: "java",
                        flushReason: .nextRecord),
                    SourceInfo(path: "/logs/\(index % 4).log"))
            }
        }
        let plain = try OTLPDecoder.decode(output.protobuf.finish(), as: .protobuf)
        output.protobuf = OTLPLogsEncoder(scopeVersion: TripleOutput.scopeVersion)
        var again = TripleOutput()
        for index in 0..<200 {
            Array("ERROR record \(index)\n\tat somewhere".utf8).withUnsafeBytes { body in
                again.append(
                    Record(
                        source: SourceID(index % 4), stream: .stdout, time: 1_773_478_801_000_000_000 + Int64(index),
                        observedTime: 1_773_478_801_000_000_000, body: body, lineCount: 2, parser: "java",
                        flushReason: .nextRecord),
                    SourceInfo(path: "/logs/\(index % 4).log"))
            }
        }
        var gzip = try Gzip()
        let payload = again.protobuf.finish()
        let compressed = gzip.compress(payload)
        #expect(compressed.count < payload.count / 4)
        #expect(try OTLPDecoder.decode(compressed, as: .protobuf, gzip: true) == plain)
        let json = gzip.compress(again.json.finish())
        #expect(try OTLPDecoder.decode(json, as: .json, gzip: true) == plain)
    }

    @Test func rejectsALevelOutsideZlibs() {
        #expect(throws: Gzip.Failure.self) { try Gzip(level: 10) }
    }
}
