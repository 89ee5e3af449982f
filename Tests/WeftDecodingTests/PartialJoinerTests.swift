import Testing
import WeftCore
import WeftDecoding
import WeftJoin

/// Feeds a ``PartialJoiner`` and keeps copies of what it emits.
private struct Harness {
    var joiner: PartialJoiner
    var out: [DecodedLine] = []

    init(maxLineBytes: Int = 1 << 20) { joiner = PartialJoiner(maxLineBytes: maxLineBytes) }

    mutating func push(
        _ text: [UInt8], partial: Bool, stream: LogStream = .stderr, source: SourceID = 0, time: Int64 = 0,
        flags: LineFlags = [], now: Int64 = 0
    ) {
        var emitted: [DecodedLine] = []
        text.withUnsafeBytes { bytes in
            let line = LogLine(
                source: source, stream: stream, time: time, text: bytes, isPartial: partial, flags: flags)
            joiner.push(line, now: now) { emitted.append(DecodedLine($0)) }
        }
        out += emitted
    }

    mutating func push(_ text: String, partial: Bool, stream: LogStream = .stderr, time: Int64 = 0, now: Int64 = 0) {
        push(bytes(text), partial: partial, stream: stream, time: time, now: now)
    }

    /// Decodes each physical line with `decoder` and pushes it.
    mutating func feed(_ decoder: inout LineDecoder, _ physical: [String], now: Int64 = 0) {
        for text in physical {
            var emitted: [DecodedLine] = []
            Array(text.utf8).withUnsafeBytes { raw in
                joiner.push(decoder.decode(raw, flags: []), now: now) { emitted.append(DecodedLine($0)) }
            }
            out += emitted
        }
    }

    mutating func flush(idleSince: Int64) {
        var emitted: [DecodedLine] = []
        joiner.flush(idleSince: idleSince) { emitted.append(DecodedLine($0)) }
        out += emitted
    }

    mutating func finish() {
        var emitted: [DecodedLine] = []
        joiner.finish { emitted.append(DecodedLine($0)) }
        out += emitted
    }

    var strings: [String] { out.map(\.string) }
}

@Suite struct PartialJoinerTests {
    @Test func completeLinesPassStraightThroughWithoutCopy() {
        var joiner = PartialJoiner()
        let text = bytes("hello")
        text.withUnsafeBytes { raw in
            var seen: [UnsafeRawPointer?] = []
            joiner.push(LogLine(source: 0, stream: .stdout, text: raw), now: 0) { seen.append($0.text.baseAddress) }
            #expect(seen == [raw.baseAddress])
        }
        #expect(joiner.pendingRuns == 0)
    }

    @Test func aCompleteLineOfAnotherStreamPassesThroughWhileARunIsPending() {
        var joiner = PartialJoiner()
        bytes("start").withUnsafeBytes { raw in
            joiner.push(LogLine(source: 0, stream: .stderr, text: raw, isPartial: true), now: 0) { _ in
                Issue.record("nothing is complete yet")
            }
        }
        bytes("other").withUnsafeBytes { raw in
            var seen: [UnsafeRawPointer?] = []
            joiner.push(LogLine(source: 0, stream: .stdout, text: raw), now: 0) { seen.append($0.text.baseAddress) }
            #expect(seen == [raw.baseAddress])
        }
        #expect(joiner.pendingRuns == 1)
        #expect(joiner.pendingBytes == 5)
    }

    @Test func docker16KiBChunksAreRejoinedWithTheFirstChunksTime() {
        let a = String(repeating: "a", count: 16384)
        let b = String(repeating: "b", count: 16384)
        var decoder = LineDecoder(format: .docker, source: 0)
        var harness = Harness()
        harness.feed(
            &decoder,
            [
                #"{"log":"\#(a)","stream":"stdout","time":"2026-03-14T09:00:01.1Z"}"#,
                #"{"log":"\#(b)","stream":"stdout","time":"2026-03-14T09:00:02.2Z"}"#,
                #"{"log":"end\n","stream":"stdout","time":"2026-03-14T09:00:03.3Z"}"#,
                #"{"log":"next\n","stream":"stdout","time":"2026-03-14T09:00:04Z"}"#,
            ])
        #expect(harness.strings == [a + b + "end", "next"])
        #expect(harness.out.first?.time == nanos("2026-03-14T09:00:01.1Z"))
        #expect(harness.out.allSatisfy { !$0.isPartial && $0.stream == .stdout })
        #expect(harness.joiner.pendingRuns == 0)
        #expect(harness.joiner.pendingBytes == 0)
    }

    @Test func dockerLineOfExactlyOneChunkEndsWithAnEmptyChunk() {
        let a = String(repeating: "a", count: 16384)
        var decoder = LineDecoder(format: .docker, source: 0)
        var harness = Harness()
        harness.feed(
            &decoder,
            [
                #"{"log":"\#(a)","stream":"stderr","time":"2026-03-14T09:00:01Z"}"#,
                #"{"log":"\n","stream":"stderr","time":"2026-03-14T09:00:01Z"}"#,
            ])
        #expect(harness.strings == [a])
    }

    @Test func criPartialsThenFull() {
        var decoder = LineDecoder(format: .cri, source: 0)
        var harness = Harness()
        harness.feed(
            &decoder,
            [
                "2026-03-14T09:00:01.1Z stdout P one ",
                "2026-03-14T09:00:01.2Z stdout P two ",
                "2026-03-14T09:00:01.3Z stdout F three",
                "2026-03-14T09:00:01.4Z stdout F alone",
            ])
        #expect(harness.strings == ["one two three", "alone"])
        #expect(harness.out.map(\.time) == [nanos("2026-03-14T09:00:01.1Z"), nanos("2026-03-14T09:00:01.4Z")])
    }

    @Test func crioShortPartialsAtReadBoundaries() {
        var decoder = LineDecoder(format: .cri, source: 0)
        var harness = Harness()
        let t1 = "2026-03-14T09:00:01.000000001+00:00"
        let t2 = "2026-03-14T09:00:01.000000002+00:00"
        harness.feed(
            &decoder,
            [
                "\(t1) stderr F Traceback (most recent call last):",
                "\(t1) stderr P   File \"app.py\", li",
                "\(t2) stderr F ne 3, in <module>",
                "\(t2) stderr P Value",
                "2026-03-14T09:00:01.000000003+00:00 stderr P Err",
                "2026-03-14T09:00:01.000000004+00:00 stderr F or: boom",
            ])
        #expect(
            harness.strings == [
                "Traceback (most recent call last):", "  File \"app.py\", line 3, in <module>", "ValueError: boom",
            ])
        #expect(harness.out.map(\.time) == [nanos(t1), nanos(t1), nanos(t2)])
        #expect(decoder.runtime == .crio)
    }

    @Test func stdoutAndStderrInterleavedMidRunAreRejoinedSeparately() {
        var decoder = LineDecoder(format: .cri, source: 0)
        var harness = Harness()
        harness.feed(
            &decoder,
            [
                "2026-03-14T09:00:01Z stderr P err-1 ",
                "2026-03-14T09:00:02Z stdout P out-1 ",
                "2026-03-14T09:00:03Z stderr P err-2 ",
                "2026-03-14T09:00:04Z stdout F out-2",
                "2026-03-14T09:00:05Z stdout F out-line",
                "2026-03-14T09:00:06Z stderr F err-3",
            ])
        #expect(harness.strings == ["out-1 out-2", "out-line", "err-1 err-2 err-3"])
        #expect(harness.out.map(\.stream) == [.stdout, .stdout, .stderr])
        #expect(
            harness.out.map(\.time) == [
                nanos("2026-03-14T09:00:02Z"), nanos("2026-03-14T09:00:05Z"), nanos("2026-03-14T09:00:01Z"),
            ])
    }

    @Test func sourcesDoNotMix() {
        var harness = Harness()
        harness.push(bytes("a1 "), partial: true, source: 1)
        harness.push(bytes("b1 "), partial: true, source: 2)
        harness.push(bytes("a2"), partial: false, source: 1)
        harness.push(bytes("b2"), partial: false, source: 2)
        #expect(harness.strings == ["a1 a2", "b1 b2"])
        #expect(harness.out.map(\.source) == [1, 2])
    }

    @Test func aPartialAtTheEndIsEmittedByFinish() {
        var harness = Harness()
        harness.push("no newline at the end", partial: true, time: 42)
        #expect(harness.out.isEmpty)
        #expect(harness.joiner.pendingRuns == 1)
        harness.finish()
        #expect(harness.strings == ["no newline at the end"])
        #expect(harness.out.first?.time == 42)
        #expect(harness.out.first?.isPartial == false)
        #expect(harness.out.first?.flags == [])
        #expect(harness.joiner.pendingRuns == 0)
        #expect(harness.joiner.pendingBytes == 0)
    }

    @Test func flushEmitsOnlyRunsIdleSinceTheGivenTime() {
        var harness = Harness()
        harness.push("old ", partial: true, stream: .stdout, now: 100)
        harness.push("young ", partial: true, stream: .stderr, now: 100)
        harness.push("grew", partial: true, stream: .stderr, now: 200)
        #expect(harness.joiner.oldestPendingGrowth == 100)
        harness.flush(idleSince: 99)
        #expect(harness.out.isEmpty)
        harness.flush(idleSince: 100)
        #expect(harness.strings == ["old "])
        #expect(harness.out.first?.flags == [])
        #expect(harness.joiner.oldestPendingGrowth == 200)
        harness.flush(idleSince: 200)
        #expect(harness.strings == ["old ", "young grew"])
        #expect(harness.joiner.oldestPendingGrowth == nil)
        // A chunk arriving after its run was flushed starts a new line.
        harness.push("late end", partial: false, stream: .stderr, now: 300)
        #expect(harness.strings.last == "late end")
    }

    @Test func flushAndFinishAreOrderedBySourceThenStream() {
        var harness = Harness()
        harness.push(bytes("s3-err"), partial: true, stream: .stderr, source: 3)
        harness.push(bytes("s1-err"), partial: true, stream: .stderr, source: 1)
        harness.push(bytes("s3-out"), partial: true, stream: .stdout, source: 3)
        harness.push(bytes("s1-out"), partial: true, stream: .stdout, source: 1)
        harness.finish()
        #expect(harness.strings == ["s1-out", "s1-err", "s3-out", "s3-err"])
    }

    @Test func aRunOverTheBoundIsCutAtOnceAndTheRestDiscarded() {
        var harness = Harness(maxLineBytes: 10)
        harness.push("abcdef", partial: true, time: 7, now: 1)
        #expect(harness.out.isEmpty)
        harness.push("ghijkl", partial: true, time: 8, now: 2)
        #expect(harness.strings == ["abcdefghij"])
        #expect(harness.out[0].flags == .truncated)
        #expect(harness.out[0].time == 7)
        #expect(!harness.out[0].isPartial)
        #expect(harness.joiner.truncatedLines == 1)
        #expect(harness.joiner.pendingBytes == 0)
        #expect(harness.joiner.pendingRuns == 1)

        harness.push("more", partial: true, now: 3)
        harness.push("end of the long one", partial: false, now: 4)
        #expect(harness.out.count == 1)
        #expect(harness.joiner.pendingRuns == 0)

        harness.push("next", partial: false, now: 5)
        #expect(harness.strings == ["abcdefghij", "next"])
        #expect(harness.out[1].flags == [])
        #expect(harness.joiner.truncatedLines == 1)
    }

    @Test func theEndChunkCrossingTheBoundIsCutAndEndsTheRun() {
        var harness = Harness(maxLineBytes: 8)
        harness.push("abcd", partial: true)
        harness.push("efghijkl", partial: false)
        harness.push("ok", partial: false)
        #expect(harness.strings == ["abcdefgh", "ok"])
        #expect(harness.out.map(\.flags) == [.truncated, []])
        #expect(harness.joiner.pendingRuns == 0)
    }

    @Test func aFirstChunkOverTheBoundIsCutAndItsRunDiscarded() {
        var harness = Harness(maxLineBytes: 8)
        harness.push("0123456789", partial: true)
        harness.push("tail", partial: false)
        harness.push("after", partial: false)
        #expect(harness.strings == ["01234567", "after"])
        #expect(harness.joiner.truncatedLines == 1)
    }

    @Test func aSingleCompleteLineOverTheBoundIsCut() {
        var harness = Harness(maxLineBytes: 8)
        harness.push("0123456789", partial: false)
        #expect(harness.strings == ["01234567"])
        #expect(harness.out[0].flags == .truncated)
        #expect(harness.joiner.pendingRuns == 0)
    }

    @Test func theCutFallsOnACharacterBoundary() {
        // "€" is three bytes; a bound of 6 falls inside the second one.
        var harness = Harness(maxLineBytes: 6)
        harness.push("ab€", partial: true)
        harness.push("€€", partial: false)
        #expect(harness.strings == ["ab€"])
        #expect(harness.out[0].text.count == 5)

        // When the bound lands between characters, nothing is lost.
        var exact = Harness(maxLineBytes: 6)
        exact.push("€€€", partial: false)
        #expect(exact.strings == ["€€"])

        // A four-byte character cut after its first byte.
        var emoji = Harness(maxLineBytes: 5)
        emoji.push("abcd😀", partial: false)
        #expect(emoji.strings == ["abcd"])
    }

    @Test func aRunOfExactlyTheBoundIsNotCut() {
        var harness = Harness(maxLineBytes: 8)
        harness.push("abcd", partial: true)
        harness.push("efgh", partial: false)
        #expect(harness.strings == ["abcdefgh"])
        #expect(harness.out[0].flags == [])
        #expect(harness.joiner.truncatedLines == 0)
    }

    @Test func flushEndsADiscardingRunSilently() {
        var harness = Harness(maxLineBytes: 4)
        harness.push("abcdef", partial: true, now: 1)
        harness.flush(idleSince: 1)
        #expect(harness.strings == ["abcd"])
        #expect(harness.joiner.pendingRuns == 0)
        harness.push("fresh", partial: true, now: 2)
        harness.finish()
        #expect(harness.strings == ["abcd", "fres"])
    }

    @Test func malformedLinesPassThroughWithoutDisturbingRuns() {
        var decoder = LineDecoder(format: .cri, source: 0)
        var harness = Harness()
        harness.feed(
            &decoder,
            [
                "2026-03-14T09:00:01Z stdout P begin ",
                "garbage in the middle",
                "2026-03-14T09:00:01Z stdout X bad tag",
                "2026-03-14T09:00:02Z stdout F end",
            ])
        #expect(harness.strings == ["garbage in the middle", "2026-03-14T09:00:01Z stdout X bad tag", "begin end"])
        #expect(harness.out.map(\.isMalformed) == [true, true, false])
        #expect(harness.out[2].time == nanos("2026-03-14T09:00:01Z"))
    }

    @Test func chunkFlagsAreCarriedToTheJoinedLine() {
        var harness = Harness()
        harness.push(bytes("a"), partial: true, flags: .invalidUTF8)
        harness.push(bytes("b"), partial: false)
        #expect(harness.out.first?.flags == .invalidUTF8)
    }

    @Test func emptyChunks() {
        var harness = Harness()
        harness.push("", partial: true)
        harness.push("", partial: false)
        harness.push("", partial: false)
        #expect(harness.strings == ["", ""])
    }

    @Test func buffersAreReusedAcrossRuns() {
        var harness = Harness()
        for round in 0..<100 {
            harness.push(String(repeating: "x", count: 3000), partial: true, stream: .stdout)
            harness.push("\(round)", partial: false, stream: .stdout)
        }
        #expect(harness.out.count == 100)
        #expect(harness.out.last?.string == String(repeating: "x", count: 3000) + "99")
    }
}
