import Testing
import WeftCore
import WeftDecoding

@Suite struct CRIDecodingTests {
    @Test func fullLine() {
        var decoder = LineDecoder(format: .cri, source: 2)
        let line = decoder.decode("2026-03-14T09:00:01.123456789Z stdout F hello world")
        #expect(line.string == "hello world")
        #expect(line.source == 2)
        #expect(line.stream == .stdout)
        #expect(line.time == nanos("2026-03-14T09:00:01.123456789Z"))
        #expect(!line.isPartial)
        #expect(line.flags.isEmpty)
    }

    @Test func partialLineAndStderr() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let line = decoder.decode("2026-03-14T09:00:01.5+00:00 stderr P first part ")
        #expect(line.string == "first part ")
        #expect(line.stream == .stderr)
        #expect(line.isPartial)
    }

    @Test func contentIsNotCopied() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let physical = bytes("2026-03-14T09:00:01Z stdout F text")
        physical.withUnsafeBytes { raw in
            let line = decoder.decode(raw, flags: [])
            #expect(line.text.baseAddress == raw.baseAddress! + raw.count - 4)
        }
    }

    @Test(arguments: [
        "2026-03-14T09:00:01Z stdout F ",
        "2026-03-14T09:00:01Z stdout F",
    ])
    func emptyContent(physical: String) {
        var decoder = LineDecoder(format: .cri, source: 0)
        let line = decoder.decode(physical)
        #expect(line.text.isEmpty)
        #expect(!line.isMalformed)
        #expect(!line.isPartial)
    }

    @Test func contentKeepsSpacesCarriageReturnsAndNULs() {
        var decoder = LineDecoder(format: .cri, source: 0)
        #expect(decoder.decode("2026-03-14T09:00:01Z stdout F  two  spaces ").string == " two  spaces ")
        #expect(decoder.decode("2026-03-14T09:00:01Z stdout F progress 50%\r").string == "progress 50%\r")
        let nul = decoder.decode(bytes: bytes("2026-03-14T09:00:01Z stdout F a") + [0, 0] + bytes("b"))
        #expect(nul.text == bytes("a") + [0, 0] + bytes("b"))
        #expect(!nul.isMalformed)
    }

    @Test func invalidUTF8ContentPassesThroughRaw() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let line = decoder.decode(bytes: bytes("2026-03-14T09:00:01Z stdout F ") + [0xFF, 0xC3])
        #expect(line.text == [0xFF, 0xC3])
        #expect(!line.isMalformed)
    }

    @Test func laterTagsAreIgnored() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let partial = decoder.decode("2026-03-14T09:00:01Z stdout P:future:tags text")
        #expect(partial.isPartial)
        #expect(partial.string == "text")
        let full = decoder.decode("2026-03-14T09:00:01Z stdout F:x text")
        #expect(!full.isPartial)
    }

    @Test func offsetsAreConvertedToUTC() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let line = decoder.decode("2026-03-14T11:00:01.000000001+02:00 stdout F x")
        #expect(line.time == nanos("2026-03-14T09:00:01.000000001Z"))
    }

    @Test func consecutiveLinesWithChangingDates() {
        var decoder = LineDecoder(format: .cri, source: 0)
        let times = [
            "2026-03-14T23:59:59.9Z", "2026-03-15T00:00:00Z", "2026-03-15T00:00:01Z", "2026-03-14T23:59:59Z",
            "2026-02-28T12:00:00Z",
        ]
        for time in times {
            #expect(decoder.decode("\(time) stdout F x").time == nanos(time))
        }
        #expect(decoder.decode("2026-02-30T12:00:00Z stdout F x").isMalformed)
        #expect(decoder.decode("2026-02-28T12:00:00Z stdout F x").time == nanos("2026-02-28T12:00:00Z"))
        #expect(decoder.decode("2026-02-28T25:00:00Z stdout F x").isMalformed)
    }
}
