import Testing
import WeftCore
import WeftTestSupport

@testable import WeftFraming

struct FramedLine: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var truncated: Bool
    var description: String { "\(truncated ? "✂︎" : "")\(String(decoding: bytes, as: UTF8.self).debugDescription)" }
}

/// Feeds `input` in chunks of the given sizes (cycled), then finishes.
func frame(
    _ input: [UInt8], chunkSizes: [Int], framer: inout LineFramer, afterFeed: (LineFramer) -> Void = { _ in }
) -> [FramedLine] {
    var lines: [FramedLine] = []
    let collect = { (line: UnsafeRawBufferPointer, flags: LineFlags) in
        lines.append(FramedLine(bytes: Array(line), truncated: flags.contains(.truncated)))
    }
    input.withUnsafeBytes { all in
        var start = 0
        var turn = 0
        while start < all.count {
            let size = min(chunkSizes[turn % chunkSizes.count], all.count - start)
            turn += 1
            framer.feed(UnsafeRawBufferPointer(rebasing: all[start..<start + size]), emit: collect)
            afterFeed(framer)
            start += size
        }
    }
    framer.finish(emit: collect)
    return lines
}

func frame(_ text: String, chunkSizes: [Int] = [Int.max], maxLineBytes: Int = 1 << 20) -> [FramedLine] {
    var framer = LineFramer(maxLineBytes: maxLineBytes)
    return frame(Array(text.utf8), chunkSizes: chunkSizes, framer: &framer)
}

func line(_ text: String, truncated: Bool = false) -> FramedLine {
    FramedLine(bytes: Array(text.utf8), truncated: truncated)
}

/// What framing must produce, computed the slow obvious way.
func expectedLines(_ input: [UInt8], maxLineBytes: Int) -> [FramedLine] {
    var parts = input.split(separator: 0x0A, omittingEmptySubsequences: false)
    if input.last == 0x0A || input.isEmpty { parts.removeLast() }  // a final "\n" ends a line, it starts none
    return parts.map { part in
        part.count > maxLineBytes
            ? FramedLine(bytes: Array(part.prefix(maxLineBytes)), truncated: true)
            : FramedLine(bytes: Array(part), truncated: false)
    }
}

@Suite struct LineFramerTests {
    @Test func splitsAtNewlines() {
        #expect(frame("a\nbb\nccc\n") == [line("a"), line("bb"), line("ccc")])
    }

    @Test func keepsEmptyLines() {
        #expect(frame("\n\na\n\n") == [line(""), line(""), line("a"), line("")])
    }

    @Test func keepsCarriageReturns() {
        #expect(frame("x\r\ny\r\n\r\n") == [line("x\r"), line("y\r"), line("\r")])
    }

    @Test func finishEmitsLastLineWithoutNewline() {
        #expect(frame("a\nlast") == [line("a"), line("last")])
        #expect(frame("only") == [line("only")])
        #expect(frame("") == [])
    }

    @Test func linesInsideOneChunkAreNotCopied() {
        let input = Array("first\nsecond\nthird".utf8)
        var framer = LineFramer()
        var pointers: [UnsafeRawPointer?] = []
        input.withUnsafeBytes { bytes in
            framer.feed(bytes) { line, _ in pointers.append(line.baseAddress) }
            #expect(pointers == [bytes.baseAddress, bytes.baseAddress! + 6])
        }
        #expect(framer.pendingByteCount == 5)
    }

    @Test func linesAcrossChunkBoundaries() {
        let text = "alpha\nbeta\n\ngamma delta\r\nepsilon"
        let whole = frame(text)
        #expect(whole == [line("alpha"), line("beta"), line(""), line("gamma delta\r"), line("epsilon")])
        #expect(frame(text, chunkSizes: [1]) == whole)
        #expect(frame(text, chunkSizes: [2, 3, 5, 7]) == whole)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func truncationBoundaryAcrossChunks(chunk: Int) {
        // maxLineBytes 4: a line of exactly 4 bytes is whole, 5 bytes is cut.
        let text = "abcd\nabcde\nxy\nabcdefghij\n"
        let expected = [line("abcd"), line("abcd", truncated: true), line("xy"), line("abcd", truncated: true)]
        var framer = LineFramer(maxLineBytes: 4)
        #expect(frame(Array(text.utf8), chunkSizes: [chunk], framer: &framer) == expected)
        #expect(framer.truncatedLines == 2)
        #expect(framer.consumedOffset == Int64(text.utf8.count))
    }

    @Test func truncatedLineWithoutNewlineIsEmittedOnce() {
        var framer = LineFramer(maxLineBytes: 3)
        #expect(frame(Array("abcdefgh".utf8), chunkSizes: [2], framer: &framer) == [line("abc", truncated: true)])
        #expect(framer.truncatedLines == 1)
        #expect(framer.consumedOffset == 0)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func randomChunkingGivesTheSameLines(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Lines of random length (some empty, some over the bound), random bytes with few newlines.
        var input: [UInt8] = []
        for _ in 0..<400 {
            let length = Int.random(in: 0...(Bool.random(using: &random) ? 8 : 300), using: &random)
            for _ in 0..<length { input.append(UInt8.random(in: 0x0B...0xFF, using: &random)) }
            input.append(random.next() % 8 == 0 ? 0x0D : 0x0A)  // a lone "\r" does not end a line
        }
        if Bool.random(using: &random) { input.removeLast() }
        let maxLineBytes = 100
        let expected = expectedLines(input, maxLineBytes: maxLineBytes)
        let lastNewline = input.lastIndex(of: 0x0A).map { Int64($0 + 1) } ?? 0

        var plans: [[Int]] = [[input.count], [1]]
        for _ in 0..<20 {
            plans.append(
                (0..<50).map { _ in Int.random(in: 1...(Bool.random(using: &random) ? 16 : 700), using: &random) })
        }
        for plan in plans {
            var framer = LineFramer(maxLineBytes: maxLineBytes)
            let lines = frame(input, chunkSizes: plan, framer: &framer) { framer in
                #expect(framer.pendingByteCount <= maxLineBytes)
            }
            #expect(lines == expected)
            #expect(framer.truncatedLines == expected.filter(\.truncated).count)
            #expect(framer.consumedOffset == lastNewline)
            #expect(framer.fedOffset == Int64(input.count))
        }
    }

    @Test(arguments: [5 << 20, 256 << 10, 4096])
    func hugeLineIsCutAndMemoryStaysBounded(chunkSize: Int) {
        let maxLineBytes = 1 << 20
        var input = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: 0x41 + $0 % 26) }
        input.append(0x0A)
        input.append(contentsOf: Array("next line\n".utf8))

        var framer = LineFramer(maxLineBytes: maxLineBytes)
        var largestCarry = 0
        let lines = frame(input, chunkSizes: [chunkSize], framer: &framer) { framer in
            largestCarry = max(largestCarry, framer.carry.capacity)
        }
        #expect(lines.count == 2)
        #expect(lines.first?.truncated == true)
        #expect(lines.first?.bytes == Array(input.prefix(maxLineBytes)))
        #expect(lines.last == line("next line"))
        #expect(framer.truncatedLines == 1)
        #expect(framer.consumedOffset == Int64(input.count))
        // The carry never outgrows the bound (allocator rounding aside), and is released once the line is done.
        #expect(largestCarry <= maxLineBytes + 4096)
        #expect(framer.carry.capacity <= LineFramer.retainedCarryCapacity)
    }

    @Test func consumedOffsetFollowsCompleteLines() {
        var framer = LineFramer(startOffset: 1000)
        var count = 0
        let chunks = ["ab\ncd", "e\n", "fgh"]
        var offsets: [Int64] = []
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBytes { framer.feed($0) { _, _ in count += 1 } }
            offsets.append(framer.consumedOffset)
        }
        #expect(offsets == [1003, 1007, 1007])
        #expect(framer.fedOffset == 1010)
        framer.finish { _, _ in count += 1 }
        #expect(count == 3)
        #expect(framer.consumedOffset == 1007)  // the unterminated line may still grow
    }

    @Test func consumedOffsetWaitsForTheEndOfACutLine() {
        var framer = LineFramer(maxLineBytes: 2)
        var lines = 0
        Array("ok\nlong".utf8).withUnsafeBytes { framer.feed($0) { _, _ in lines += 1 } }
        #expect(lines == 2)  // the cut line leaves at once…
        #expect(framer.consumedOffset == 3)  // …but a checkpoint stays before it until its "\n"
        Array("er\nz".utf8).withUnsafeBytes { framer.feed($0) { _, _ in lines += 1 } }
        #expect(lines == 2)
        #expect(framer.consumedOffset == 10)
    }
}
