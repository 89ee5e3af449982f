import Testing
import WeftCore
import WeftDecoding
import WeftJoin
import WeftTestSupport

/// The renderings `Samples/render/render.py` wrote of `Samples/render/testdata/input.log` decode, with the format
/// detected, back to that input: the script and the decoder agree on the runtimes' rules.
///
/// Regenerate the fixtures after changing the script:
///
/// ```sh
/// python3 Samples/render/render.py Samples/render/testdata/input.log --interleave --docker-attrs '{"app":"shop"}'
/// python3 Samples/render/render.py Samples/render/testdata/input.log -o Samples/render/testdata/packed \
///     --formats crio --crio-reads packed --read-size 1000 --tz +05:30
/// ```
@Suite struct RenderedSampleTests {
    static let directory = repositoryRoot + "/Samples/render/testdata"

    private struct Decoded {
        var lines: [DecodedLine]
        var format: LogFormat?
        var runtime: ContainerRuntime?
        var attributes: [String]
        var malformed: Int
    }

    private func decode(_ file: String) -> Decoded? {
        guard let bytes = Files.read("\(Self.directory)/\(file)") else { return nil }
        var decoder = LineDecoder(format: .auto, source: 1)
        var joiner = PartialJoiner()
        var out: [DecodedLine] = []
        for (now, physical) in Files.lines(bytes).lines.enumerated() {
            physical.withUnsafeBytes { raw in
                joiner.push(decoder.decode(raw, flags: []), now: Int64(now)) { out.append(DecodedLine($0)) }
            }
        }
        joiner.finish { out.append(DecodedLine($0)) }
        return Decoded(
            lines: out, format: decoder.detectedFormat, runtime: decoder.runtime,
            attributes: decoder.lastAttributes.map { "\($0.key)=\($0.value)" }, malformed: decoder.malformedCount)
    }

    private var input: (lines: [[UInt8]], endsWithNewline: Bool)? {
        Files.read("\(Self.directory)/input.log").map(Files.lines)
    }

    /// Lines ordered by time (each input line was written at its own time).
    private func byTime(_ lines: [DecodedLine]) -> [[UInt8]] {
        lines.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.text)
    }

    @Test func docker() throws {
        let input = try #require(input)
        let decoded = try #require(decode("input.docker.log"))
        #expect(decoded.format == .docker)
        #expect(decoded.runtime == .docker)
        #expect(decoded.attributes == ["app=shop"])
        #expect(decoded.malformed == 0)
        #expect(Set(decoded.lines.map(\.stream)) == [.stdout, .stderr])
        // Docker's encoder replaced the invalid bytes with U+FFFD.
        #expect(byTime(decoded.lines) == input.lines.map(GoJSON.sanitized))
    }

    @Test func containerd() throws {
        let input = try #require(input)
        let decoded = try #require(decode("input.containerd.log"))
        #expect(decoded.format == .cri)
        #expect(decoded.runtime == .containerd)
        #expect(decoded.malformed == 0)
        #expect(Set(decoded.lines.map(\.stream)) == [.stdout, .stderr])
        // containerd's line reader drops the "\r" of "\r\n" (the last line has no newline, so keeps its bytes).
        let expected = input.lines.enumerated().map { index, line in
            index < input.lines.count - 1 && line.last == 0x0D ? Array(line.dropLast()) : line
        }
        #expect(byTime(decoded.lines) == expected)
    }

    @Test func crio() throws {
        let input = try #require(input)
        let decoded = try #require(decode("input.crio.log"))
        #expect(decoded.format == .cri)
        #expect(decoded.runtime == .crio)
        #expect(decoded.malformed == 0)
        #expect(Set(decoded.lines.map(\.stream)) == [.stdout, .stderr])
        #expect(byTime(decoded.lines) == input.lines)
    }

    @Test func crioWithPackedReadsInAnotherZone() throws {
        let input = try #require(input)
        let decoded = try #require(decode("packed/input.crio.log"))
        #expect(decoded.runtime == .crio)
        #expect(decoded.malformed == 0)
        #expect(decoded.lines.allSatisfy { $0.stream == .stderr })
        #expect(decoded.lines.map(\.text) == input.lines)
        #expect(decoded.lines.first?.time == nanos("2026-03-14T09:00:00.011Z"))
    }

    @Test func theInputHasTheHardCases() throws {
        let input = try #require(input)
        #expect(!input.endsWithNewline)
        #expect(input.lines.contains { $0.count > 16384 })
        #expect(input.lines.contains { $0.count == 16384 })
        #expect(input.lines.contains { $0.isEmpty })
        #expect(input.lines.contains { $0.last == 0x0D })
    }
}
