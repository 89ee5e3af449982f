import Testing
import WeftCore
import WeftDecoding

@Suite struct FormatDetectionTests {
    @Test func undecidedUntilTheFirstNonBlankLine() {
        var decoder = LineDecoder(format: .auto, source: 0)
        #expect(decoder.detectedFormat == nil)
        #expect(decoder.runtime == nil)
        let blank = decoder.decode("")
        #expect(blank.text.isEmpty)
        #expect(!blank.isMalformed)
        _ = decoder.decode("  \t")
        #expect(decoder.detectedFormat == nil)
        _ = decoder.decode(#"{"log":"x\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        #expect(decoder.detectedFormat == .docker)
    }

    @Test func dockerIsDetectedAndSticks() {
        var decoder = LineDecoder(format: .auto, source: 0)
        let first = decoder.decode(#"{"log":"x\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        #expect(first.string == "x")
        #expect(decoder.detectedFormat == .docker)
        #expect(decoder.runtime == .docker)
        let cri = decoder.decode("2026-03-14T09:00:01Z stdout F x")
        #expect(cri.isMalformed)
        #expect(decoder.detectedFormat == .docker)
    }

    @Test func aDockerObjectWithStreamAndTimeButNoLogDecidesDocker() {
        var decoder = LineDecoder(format: .auto, source: 0)
        let line = decoder.decode(#"{"stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        #expect(decoder.detectedFormat == .docker)
        #expect(line.isMalformed)
    }

    @Test func criIsDetectedAndSticks() {
        var decoder = LineDecoder(format: .auto, source: 0)
        let first = decoder.decode("2026-03-14T09:00:01Z stderr F boom")
        #expect(first.string == "boom")
        #expect(first.stream == .stderr)
        #expect(decoder.detectedFormat == .cri)
        let json = decoder.decode(#"{"log":"x\n"}"#)
        #expect(json.isMalformed)
        #expect(decoder.detectedFormat == .cri)
    }

    @Test(arguments: [
        "Traceback (most recent call last):",
        #"{"level":"info","msg":"an application's JSON"}"#,
        "{ not json",
        "2026-03-14T09:00:01Z INFO starting",
    ])
    func anythingElseIsPlainAndSticks(first: String) {
        var decoder = LineDecoder(format: .auto, source: 0)
        let line = decoder.decode(first)
        #expect(line.string == first)
        #expect(!line.isMalformed)
        #expect(decoder.detectedFormat == .plain)
        #expect(decoder.runtime == nil)
        let docker = decoder.decode(#"{"log":"x\n","stream":"stdout","time":"2026-03-14T09:00:01Z"}"#)
        #expect(!docker.isMalformed)
        #expect(docker.string.hasPrefix("{"))
        #expect(decoder.malformedCount == 0)
    }

    @Test func explicitFormatsAreTheirOwnDetection() {
        #expect(LineDecoder(format: .docker, source: 0).detectedFormat == .docker)
        #expect(LineDecoder(format: .cri, source: 0).detectedFormat == .cri)
        #expect(LineDecoder(format: .plain, source: 0).detectedFormat == .plain)
        #expect(LineDecoder(format: .docker, source: 0).runtime == .docker)
        #expect(LineDecoder(format: .cri, source: 0).runtime == nil)
        #expect(LineDecoder(format: .plain, source: 0).runtime == nil)
    }

    // MARK: Runtime

    @Test(arguments: [LogFormat.auto, .cri])
    func containerdWritesZ(format: LogFormat) {
        var decoder = LineDecoder(format: format, source: 0)
        _ = decoder.decode("2026-03-14T09:00:01.12345678Z stdout F x")
        #expect(decoder.runtime == .containerd)
    }

    @Test(arguments: [LogFormat.auto, .cri])
    func crioWritesNineDigitsAndAnOffset(format: LogFormat) {
        var decoder = LineDecoder(format: format, source: 0)
        _ = decoder.decode("2026-03-14T09:00:01.123456780+00:00 stdout F x")
        #expect(decoder.runtime == .crio)
        _ = decoder.decode("2026-03-14T09:00:02.000000000+00:00 stdout F y")
        #expect(decoder.runtime == .crio)
    }

    @Test func containerdInAnotherZoneTrimsTrailingZeros() {
        var decoder = LineDecoder(format: .cri, source: 0)
        _ = decoder.decode("2026-03-14T10:00:01.12345+01:00 stdout F x")
        #expect(decoder.runtime == .containerd)
    }

    @Test func aTentativeCrioIsSettledAsContainerdByLaterEvidence() {
        var decoder = LineDecoder(format: .cri, source: 0)
        _ = decoder.decode("2026-03-14T10:00:01.123456789+01:00 stdout F x")
        #expect(decoder.runtime == .crio)
        _ = decoder.decode("2026-03-14T10:00:01.5+01:00 stdout F y")
        #expect(decoder.runtime == .containerd)
        _ = decoder.decode("2026-03-14T10:00:01.123456789+01:00 stdout F z")
        #expect(decoder.runtime == .containerd)
    }

    @Test func malformedLinesDoNotDecideTheRuntime() {
        var decoder = LineDecoder(format: .cri, source: 0)
        _ = decoder.decode("2026-03-14T09:00:01Z stdin F x")
        #expect(decoder.runtime == nil)
    }

    @Test func formatNames() {
        #expect(
            LogFormat.allCases.map(\.rawValue) == [
                "auto", "docker", "cri", "plain", "timestamped", "kubectl", "compose", "stern", "journal",
                "journal-json",
            ])
        #expect(LogFormat(rawValue: "journal-json") == .journalJSON)
        #expect(ContainerRuntime.crio.rawValue == "cri-o")
        #expect(LogFormat(rawValue: "cri") == .cri)
    }
}
