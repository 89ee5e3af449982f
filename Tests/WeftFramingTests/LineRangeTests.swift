import Testing
import WeftCore
import WeftTestSupport

@testable import WeftFraming

/// Every line the framer lends says where it lies in the input, however the input was cut into chunks.
@Suite struct LineRangeTests {
    /// Frames `input` fed in random chunks (from `startOffset`) and returns (text, flags, range) per line.
    func frame(_ input: [UInt8], seed: UInt64, maxLineBytes: Int = 1 << 20, startOffset: Int64 = 0)
        -> [(text: [UInt8], flags: LineFlags, range: ByteRange)]
    {
        var random = SplitMix64(seed: seed)
        var framer = LineFramer(maxLineBytes: maxLineBytes, startOffset: startOffset)
        var lines: [(text: [UInt8], flags: LineFlags, range: ByteRange)] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + Int.random(in: 1...40, using: &random))
            input[offset..<end].withUnsafeBytes { chunk in
                var position = 0
                while let line = framer.next(in: chunk, from: &position) {
                    lines.append((Array(line.text), line.flags, line.range))
                }
            }
            offset = end
        }
        if let last = framer.finish() { lines.append((Array(last.text), last.flags, last.range)) }
        return lines
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func rangesPointBackAtTheirBytes(seed: UInt64) {
        let text = "first\n\nthird line is longer\r\n" + String(repeating: "x", count: 90) + "\nunterminated tail"
        let input = Array(text.utf8)
        let base: Int64 = 5000
        let lines = frame(input, seed: seed, startOffset: base)
        #expect(lines.count == 5)
        var expectedStart: Int64 = base
        for line in lines {
            #expect(line.range.start == expectedStart, "ranges are contiguous")
            let slice = Array(input[Int(line.range.start - base)..<Int(line.range.end - base)])
            let terminated = slice.last == 0x0A
            #expect((terminated ? Array(slice.dropLast()) : slice) == line.text)
            expectedStart = line.range.end
        }
        #expect(lines.last?.range.end == base + Int64(input.count))
    }

    @Test func aCutLineCoversWhatWasReadAndTheNextLineStartsAfterItsNewline() {
        let input = Array((String(repeating: "a", count: 100) + "\nnext\n").utf8)
        let lines = frame(input, seed: 9, maxLineBytes: 16)
        #expect(lines.count == 2)
        #expect(lines[0].flags.contains(.truncated))
        #expect(lines[0].range.start == 0)
        #expect(lines[0].range.end >= 16 && lines[0].range.end <= 101)
        #expect(lines[1].range == ByteRange(start: 101, end: 106))
        #expect(lines[1].text == Array("next".utf8))
    }

    @Test func feedAndNextAgree() {
        let input = Array("one\ntwo\nthree".utf8)
        var viaFeed = LineFramer()
        var fed: [[UInt8]] = []
        input.withUnsafeBytes { viaFeed.feed($0) { text, _ in fed.append(Array(text)) } }
        viaFeed.finish { text, _ in fed.append(Array(text)) }
        #expect(fed == frame(input, seed: 3).map(\.text))
        #expect(viaFeed.pendingByteCount == 0)
        #expect(viaFeed.finish() == nil, "finishing twice gives the last line once")
    }
}
