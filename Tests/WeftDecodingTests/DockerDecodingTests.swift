import Testing
import WeftCore
import WeftDecoding
import WeftTestSupport

@Suite struct DockerDecodingTests {
    private let time = "2026-03-14T09:00:01.123456789Z"

    private func docker(_ log: String, stream: String = "stderr") -> String {
        #"{"log":"\#(log)","stream":"\#(stream)","time":"\#(time)"}"#
    }

    @Test func ordinaryLine() {
        var decoder = LineDecoder(format: .docker, source: 3)
        let line = decoder.decode(docker(#"hello world\n"#))
        #expect(line.string == "hello world")
        #expect(line.source == 3)
        #expect(line.stream == .stderr)
        #expect(line.time == nanos(time))
        #expect(!line.isPartial)
        #expect(line.flags.isEmpty)
        #expect(decoder.malformedCount == 0)
        #expect(decoder.detectedFormat == .docker)
        #expect(decoder.runtime == .docker)
    }

    @Test func lineWhoseOnlyEscapeIsTheNewlineIsNotCopied() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let physical = bytes(docker(#"plain text\n"#))
        physical.withUnsafeBytes { raw in
            let line = decoder.decode(raw, flags: [])
            let start = raw.baseAddress!
            #expect(line.text.baseAddress.map { $0 >= start && $0 < start + raw.count } == true)
            #expect(String(decoding: line.text, as: UTF8.self) == "plain text")
        }
    }

    @Test func everyEscape() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let line = decoder.decode(
            docker(#"q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20AC \u003c\u003e\u0026 \u2028\u2029 \u0000!\n"#))
        let expected: [UInt8] =
            bytes("q\" b\\ s/ ") + [0x08, 0x0C, 0x0A, 0x0D, 0x09] + bytes(" Aé€ <>& \u{2028}\u{2029} ") + [0x00]
            + bytes("!")
        #expect(line.text == expected)
        #expect(!line.isPartial)
        #expect(line.flags.isEmpty)
    }

    @Test func escapedNewlinesInsideTheLineAndOnlyOneStripped() {
        var decoder = LineDecoder(format: .docker, source: 0)
        #expect(decoder.decode(docker(#"a\nb\n"#)).string == "a\nb")
        let twoNewlines = decoder.decode(docker(#"a\n\n"#))
        #expect(twoNewlines.string == "a\n")
        #expect(!twoNewlines.isPartial)
        let empty = decoder.decode(docker(#"\n"#))
        #expect(empty.text.isEmpty)
        #expect(!empty.isPartial)
        let unicodeNewline = decoder.decode(docker(#"tab\there\u000a"#))
        #expect(unicodeNewline.string == "tab\there")
        #expect(!unicodeNewline.isPartial)
    }

    @Test func noTrailingNewlineIsAPartialChunk() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let plain = decoder.decode(docker("part one"))
        #expect(plain.string == "part one")
        #expect(plain.isPartial)
        let escaped = decoder.decode(docker(#"say \"hi\"\nand more"#))
        #expect(escaped.string == "say \"hi\"\nand more")
        #expect(escaped.isPartial)
    }

    @Test func surrogatePairs() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let line = decoder.decode(docker(#"smile \ud83d\ude00 and \uD83D\uDE80\n"#))
        #expect(line.string == "smile 😀 and 🚀")
        #expect(line.flags.isEmpty)
    }

    @Test(arguments: [
        (#"a\ud83db\n"#, "a\u{FFFD}b"),  // high surrogate, then text
        (#"a\ud83d\u0041\n"#, "a\u{FFFD}A"),  // high surrogate, then a non-surrogate escape
        (#"a\ud83d\ud83d\ude00\n"#, "a\u{FFFD}😀"),  // two highs, the second paired
        (#"a\ude00b\n"#, "a\u{FFFD}b"),  // lone low surrogate
        (#"end\ud83d"#, "end\u{FFFD}"),  // high surrogate at the end of the string
    ])
    func loneSurrogatesBecomeReplacementCharacters(log: String, expected: String) {
        var decoder = LineDecoder(format: .docker, source: 0)
        let line = decoder.decode(docker(log))
        #expect(line.string == expected)
        #expect(line.flags.contains(.invalidUTF8))
        #expect(!line.isMalformed)
    }

    @Test func rawUTF8IsKeptAndInvalidBytesAreFlagged() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let valid = decoder.decode(docker(#"héllo wörld 中文 😀\n"#))
        #expect(valid.string == "héllo wörld 中文 😀")
        #expect(valid.flags.isEmpty)

        var physical = bytes(#"{"log":"bad "#)
        physical += [0xFF, 0x20, 0xC3, 0x28, 0x20, 0xED, 0xA0, 0x80]
        physical += bytes(#"\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        let invalid = decoder.decode(bytes: physical)
        #expect(invalid.text == bytes("bad ") + [0xFF, 0x20, 0xC3, 0x28, 0x20, 0xED, 0xA0, 0x80])
        #expect(invalid.flags == .invalidUTF8)
        #expect(!invalid.isMalformed)
        #expect(invalid.stream == .stdout)
    }

    @Test(arguments: [
        #"{"time":"2026-03-14T09:00:01.123456789Z","stream":"stdout","log":"x\n"}"#,
        #"{"stream":"stdout","time":"2026-03-14T09:00:01.123456789Z","log":"x\n"}"#,
        #"{"stream":"stdout","log":"x\n","attrs":{"a":"b"},"time":"2026-03-14T09:00:01.123456789Z"}"#,
        #"  { "log" : "x\n" , "stream" : "stdout" , "time" : "2026-03-14T09:00:01.123456789Z" }  "#,
        "{\"log\":\"x\\n\",\t\"stream\":\"stdout\",\r\n\"time\":\"2026-03-14T09:00:01.123456789Z\"}\r",
        #"{"log":"x\n","extra":{"nested":[1,2,{"s":"}]\"{"}],"n":null},"stream":"stdout","time":"2026-03-14T09:00:01.123456789Z"}"#,
        #"{"n":-1.5e+3,"t":true,"f":false,"z":null,"a":[],"o":{},"log":"x\n","stream":"stdout","time":"2026-03-14T09:00:01.123456789Z"}"#,
        #"{"l\u006fg":"x\n","stream":"stdout","time":"2026-03-14T09:00:01.123456789Z"}"#,
    ])
    func anyKeyOrderAndUnknownKeys(physical: String) {
        var decoder = LineDecoder(format: .docker, source: 0)
        let line = decoder.decode(physical)
        #expect(line.string == "x")
        #expect(line.stream == .stdout)
        #expect(line.time == nanos("2026-03-14T09:00:01.123456789Z"))
        #expect(!line.isMalformed)
        #expect(!line.isPartial)
    }

    @Test func missingStreamOrTime() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let noStream = decoder.decode(#"{"log":"x\n","time":"2026-03-14T09:00:01Z"}"#)
        #expect(noStream.stream == .unknown)
        #expect(!noStream.isMalformed)
        let noTime = decoder.decode(#"{"log":"x\n","stream":"stdout"}"#)
        #expect(noTime.time == Timestamp.none)
        #expect(!noTime.isMalformed)
        let otherStream = decoder.decode(#"{"log":"x\n","stream":"stdin","time":"2026-03-14T09:00:01Z"}"#)
        #expect(otherStream.stream == .unknown)
        #expect(!otherStream.isMalformed)
        for value in [#""ab""#, #""s\"x""#, #""stdout ""#, #""std\u006fut""#, #""""#] {
            let line = decoder.decode(#"{"log":"x\n","stream":\#(value),"n":1,"time":"2026-03-14T09:00:01Z"}"#)
            #expect(!line.isMalformed, "stream \(value)")
            #expect(line.string == "x")
        }
    }

    @Test func attributesAreDecodedOnlyWhenTheyChange() {
        var decoder = LineDecoder(format: .docker, source: 0)
        #expect(decoder.lastAttributes.isEmpty)
        #expect(decoder.attributesVersion == 0)

        let withAttrs =
            #"{"log":"a\n","stream":"stdout","attrs":{"app":"shop","tag":"x\"y","n":"\u00e9"},"time":"2026-03-14T09:00:01Z"}"#
        _ = decoder.decode(withAttrs)
        #expect(decoder.lastAttributes.map { "\($0.key)=\($0.value)" } == ["app=shop", "tag=x\"y", "n=é"])
        #expect(decoder.attributesVersion == 1)

        _ = decoder.decode(withAttrs)
        #expect(decoder.attributesVersion == 1)

        // A line without attrs leaves them as they were.
        _ = decoder.decode(#"{"log":"b\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        #expect(decoder.attributesVersion == 1)
        #expect(decoder.lastAttributes.count == 3)

        _ = decoder.decode(#"{"log":"c\n","attrs":{"app":"cart","id":7},"time":"2026-03-14T09:00:01Z"}"#)
        #expect(decoder.lastAttributes.map { "\($0.key)=\($0.value)" } == ["app=cart", "id=7"])
        #expect(decoder.attributesVersion == 2)
    }

    @Test func textInTheScratchBufferLastsUntilTheNextCall() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let first = decoder.decode(docker(#"tab\tone\n"#))
        let second = decoder.decode(docker(#"tab\ttwo, longer than the first\n"#))
        #expect(first.string == "tab\tone")
        #expect(second.string == "tab\ttwo, longer than the first")
    }

    @Test func copiesOfADecoderDoNotShareTheirBuffer() {
        var original = LineDecoder(format: .docker, source: 0)
        _ = original.decode(docker(#"warm\tup\n"#))
        var copy = original
        let physicalA = bytes(docker(#"a\tA\n"#))
        let physicalB = bytes(docker(#"b\tB\n"#))
        physicalA.withUnsafeBytes { a in
            physicalB.withUnsafeBytes { b in
                let lineA = original.decode(a, flags: [])
                let lineB = copy.decode(b, flags: [])
                #expect(String(decoding: lineA.text, as: UTF8.self) == "a\tA")
                #expect(String(decoding: lineB.text, as: UTF8.self) == "b\tB")
            }
        }
    }

    @Test func decodersCanMoveBetweenTasks() async {
        var decoder = LineDecoder(format: .docker, source: 0)
        _ = decoder.decode(docker(#"warm\tup\n"#))
        let moved = decoder
        let result = await Task.detached {
            var decoder = moved
            return decoder.decode(docker(#"in a task\t\n"#)).string
        }.value
        #expect(result == "in a task\t")
    }

    @Test func largeLineWithManyEscapes() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let content = String(repeating: "x\\\"y\\u00e9\\t", count: 5000)
        let line = decoder.decode(docker(content + #"\n"#))
        #expect(line.string == String(repeating: "x\"yé\t", count: 5000))
    }

    @Test func framingFlagsAreKept() {
        var decoder = LineDecoder(format: .docker, source: 0)
        #expect(decoder.decode(docker(#"x\n"#), flags: .truncated).flags == .truncated)
    }
}

extension DockerDecodingTests {
    @Test func linesThatEndAtAPageBoundaryAreNeverReadPast() throws {
        // The string scans read whole 16-byte blocks where that cannot leave the page. Put each line (whole, and cut
        // at every length, so that scans run into its end) right before an inaccessible page: a read past the end
        // would crash the test. Each must decode exactly as the same bytes in an ordinary array.
        let page = try #require(GuardedPage())
        let whole = Array(
            #"{"log":"caf\u00e9 \"quoted\" ünï\n","stream":"stdout","time":"2026-03-14T09:00:01.123456789Z"}"#.utf8)
        // Also cut inside skipped strings with escapes (an unknown key's value, `attrs`): a cut right after a
        // backslash once made the skip start its next scan one byte past the end of the line.
        let skipped = Array(
            #"{"log":"a\n","x":"\\\"\\","attrs":{"tag":"a\"b\\"},"stream":"stderr","time":"2026-03-14T09:00:01Z"}"#
                .utf8)
        for bytes in (1...skipped.count).map({ Array(skipped[..<$0]) }) {
            var reference = LineDecoder(format: .docker, source: 0)
            let expected = reference.decode(bytes: bytes)
            var decoder = LineDecoder(format: .docker, source: 0)
            #expect(DecodedLine(decoder.decode(page.placeAtEnd(bytes), flags: [])) == expected, "\(bytes.count)")
        }
        for count in 1...whole.count {
            let bytes = Array(whole[..<count])
            var reference = LineDecoder(format: .docker, source: 0)
            let expected = reference.decode(bytes: bytes)
            var decoder = LineDecoder(format: .docker, source: 0)
            let line = DecodedLine(decoder.decode(page.placeAtEnd(bytes), flags: []))
            #expect(line == expected, "cut at \(count)")
            if count == whole.count {
                #expect(line.string == "café \"quoted\" ünï")
                #expect(line.stream == .stdout && !line.isMalformed)
            }
        }
    }
}
