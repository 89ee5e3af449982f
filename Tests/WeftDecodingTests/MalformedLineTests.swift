import Testing
import WeftCore
import WeftDecoding

/// Lines that are not valid for their format come back as data, marked, and leave the next line unharmed.
@Suite struct MalformedLineTests {
    static let goodDocker = #"{"log":"fine\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#
    static let goodCRI = "2026-03-14T09:00:01Z stdout F fine"

    private func expectMalformed(
        _ physical: [UInt8], format: LogFormat, stream: LogStream? = .unknown,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var decoder = LineDecoder(format: format, source: 5)
        let line = decoder.decode(bytes: physical, flags: .truncated)
        #expect(line.isMalformed, sourceLocation: sourceLocation)
        #expect(line.flags.contains(.truncated), "framing flags are kept", sourceLocation: sourceLocation)
        #expect(line.text == physical, "raw bytes as text", sourceLocation: sourceLocation)
        #expect(line.time == Timestamp.none, sourceLocation: sourceLocation)
        #expect(!line.isPartial, sourceLocation: sourceLocation)
        if let stream { #expect(line.stream == stream, "best stream known", sourceLocation: sourceLocation) }
        #expect(line.source == 5, sourceLocation: sourceLocation)
        #expect(decoder.malformedCount == 1, sourceLocation: sourceLocation)

        let good = format == .docker ? Self.goodDocker : Self.goodCRI
        let next = decoder.decode(good)
        #expect(!next.isMalformed, "the next line decodes", sourceLocation: sourceLocation)
        #expect(next.string == "fine", sourceLocation: sourceLocation)
        #expect(decoder.malformedCount == 1, sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        "",
        "   ",
        "not json at all",
        #"{"log":"truncated"#,
        #"{"log":"truncated\n","stream":"stdout","time":"2026-03-14T09:00:01Z""#,
        #"{log:"x\n"}"#,
        #"{"log":x}"#,
        #"{"log":"bad escape \x41\n"}"#,
        #"{"log":"short unicode \u12\n"}"#,
        #"{"log":"not hex \u12G4\n"}"#,
        #"{"log":"trailing backslash\"#,
        #"["log","x"]"#,
        #""log""#,
        "42",
        "null",
        #"{"msg":"an application's own JSON","level":"info"}"#,
        #"{"log":"x\n","time":"yesterday"}"#,
        #"{"log":"x\n","time":"2026-03-14T09:00:01"}"#,
        #"{"log":"x\n","stream":"stdout"} trailing"#,
        #"{"log":"x\n",}"#,
        #"{"log":"x\n" "stream":"stdout"}"#,
        #"{"log":"x\n","stream":stdout}"#,
        #"{"log":"x\n","extra":[1,2}"#,
        #"{"log":"x\n","extra":tru}"#,
        #"{"log":"x\n"}{"log":"y\n"}"#,
        #"{"log":42}"#,
    ])
    func brokenDockerLines(physical: String) {
        // The stream is whatever was seen before the line went wrong.
        expectMalformed(bytes(physical), format: .docker, stream: nil)
    }

    @Test func dockerLineWithoutLogKeepsItsStream() {
        expectMalformed(bytes(#"{"stream":"stderr","time":"2026-03-14T09:00:01Z"}"#), format: .docker, stream: .stderr)
    }

    @Test func rawControlBytesInsideADockerString() {
        expectMalformed(bytes(#"{"log":"tab"#) + [0x09] + bytes(#"here\n"}"#), format: .docker)
        expectMalformed(bytes(#"{"log":"nul"#) + [0x00] + bytes(#"\n"}"#), format: .docker)
        expectMalformed(bytes(#"{"log":"raw newline"#) + [0x0D] + bytes(#""}"#), format: .docker)
    }

    @Test func nulBytesAndBinaryGarbage() {
        expectMalformed([0, 0, 0, 0, 0, 0], format: .docker)
        expectMalformed([0, 0, 0] + bytes(Self.goodDocker), format: .docker)
        expectMalformed([0xFF, 0xFE, 0x7B, 0x22], format: .docker)
        expectMalformed([0, 0, 0, 0, 0, 0], format: .cri)
        expectMalformed(Array(repeating: 0, count: 40), format: .cri)
    }

    @Test(arguments: [
        ("", LogStream.unknown),
        ("plain text that is long enough to be looked at", .unknown),
        ("2026-03-14T09:00:01Z", .unknown),
        ("2026-03-14T09:00:01Z stdout", .stdout),
        ("2026-03-14T09:00:01Z stdout ", .stdout),
        ("2026-03-14T09:00:01Z  stdout F x", .unknown),
        ("2026-03-14T09:00:01 stdout F missing zone", .stdout),
        ("2026-03-14T25:00:01Z stderr F bad hour", .stderr),
        ("2026-03-14 09:00:01Z stdout F space in time", .unknown),
        ("2026-03-14T09:00:01Z stdin F x", .unknown),
        ("2026-03-14T09:00:01Z STDOUT F x", .unknown),
        ("2026-03-14T09:00:01Z stdoutF x", .unknown),
        ("2026-03-14T09:00:01Z stdout X x", .stdout),
        ("2026-03-14T09:00:01Z stdout PF x", .stdout),
        ("2026-03-14T09:00:01Z stdout :P x", .stdout),
        ("2026-03-14T09:00:01Z stderr  x", .stderr),
    ])
    func brokenCRILines(physical: String, stream: LogStream) {
        expectMalformed(bytes(physical), format: .cri, stream: stream)
    }

    @Test func carriageReturnsAreNotMalformed() {
        var decoder = LineDecoder(format: .docker, source: 0)
        let docker = decoder.decode(#"{"log":"50%\r","stream":"stdout","time":"2026-03-14T09:00:01Z"}"# + "\r")
        #expect(!docker.isMalformed)
        #expect(docker.string == "50%\r")
        #expect(docker.isPartial)
    }

    @Test func malformedLinesAreCounted() {
        var decoder = LineDecoder(format: .docker, source: 0)
        for _ in 0..<3 { _ = decoder.decode("garbage") }
        _ = decoder.decode(Self.goodDocker)
        _ = decoder.decode("{")
        #expect(decoder.malformedCount == 4)
    }

    @Test func plainFormatNeverMarksAnything() {
        var decoder = LineDecoder(format: .plain, source: 0)
        for text in ["", "{\"log\":", "2026-03-14T09:00:01Z stdout F x"] {
            let line = decoder.decode(text)
            #expect(line.string == text)
            #expect(line.flags.isEmpty)
            #expect(line.stream == .unknown)
            #expect(line.time == Timestamp.none)
        }
        let binary = decoder.decode(bytes: [0, 0xFF, 0x0D])
        #expect(binary.text == [0, 0xFF, 0x0D])
        #expect(decoder.malformedCount == 0)
    }
}
