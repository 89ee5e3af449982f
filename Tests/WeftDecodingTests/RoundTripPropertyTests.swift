import Testing
import WeftCore
import WeftDecoding
import WeftJoin
import WeftTestSupport

/// Random lines, written as each runtime writes them with stdout and stderr interleaved, decoded and rejoined: every
/// stream must come back exactly, in order, with each line's first-chunk time.
///
/// Set `WEFT_SEED=<n>` to replay one failing case.
@Suite struct RoundTripPropertyTests {
    static let baseSeed: UInt64 = 0x5745_4654_0000_0000
    static let cases = 300

    @Test func everyRuntimeRoundTrips() {
        var seeds = (0..<UInt64(Self.cases)).map { Self.baseSeed + $0 }
        if let text = Environment.value("WEFT_SEED"), let seed = UInt64(text) { seeds = [seed] }
        for seed in seeds {
            var rng = SplitMix64(seed: seed)
            let streams: [LogStream] = [.stdout, .stderr]
            var lines: [LogStream: [[UInt8]]] = [:]
            var endsWithNewline: [LogStream: Bool] = [:]
            for stream in streams {
                lines[stream] = (0..<Int(rng.next() % 7)).map { _ in LineGenerator.line(&rng) }
                endsWithNewline[stream] = rng.next() % 5 != 0
            }
            let attrs = rng.next() % 3 == 0 ? #"{"app":"shop","tag":"a\"b"}"# : nil
            let offsetMinutes = [0, 0, 120, -420, 330][Int(rng.next() % 5)]
            var clock = RuntimeRenderer.Clock(now: nanos("2026-03-14T09:00:00Z"), rng: SplitMix64(seed: seed ^ 1))

            var docker: [LogStream: RuntimeRenderer.Output] = [:]
            var containerd: [LogStream: RuntimeRenderer.Output] = [:]
            var crio: [LogStream: RuntimeRenderer.Output] = [:]
            for stream in streams {
                docker[stream] = RuntimeRenderer.docker(
                    lines[stream]!, endsWithNewline: endsWithNewline[stream]!, stream: stream, attrs: attrs,
                    clock: &clock)
                containerd[stream] = RuntimeRenderer.containerd(
                    lines[stream]!, endsWithNewline: endsWithNewline[stream]!, stream: stream, clock: &clock)
                crio[stream] = RuntimeRenderer.crio(
                    lines[stream]!, endsWithNewline: endsWithNewline[stream]!, stream: stream,
                    offsetMinutes: offsetMinutes, clock: &clock, rng: &rng)
            }
            check(seed: seed, name: "docker", docker, runtime: .docker, format: .docker, rng: &rng)
            check(seed: seed, name: "containerd", containerd, runtime: .containerd, format: .cri, rng: &rng)
            check(seed: seed, name: "cri-o", crio, runtime: .crio, format: .cri, rng: &rng)
        }
    }

    /// Interleaves the streams' physical lines at random, decodes (format auto-detected) and rejoins them, and
    /// compares each stream with what the renderer says a reader must get.
    private func check(
        seed: UInt64, name: String, _ rendered: [LogStream: RuntimeRenderer.Output], runtime: ContainerRuntime,
        format: LogFormat, rng: inout SplitMix64
    ) {
        let stdout = rendered[.stdout]!.physical
        let stderr = rendered[.stderr]!.physical
        var merged: [[UInt8]] = []
        var (o, e) = (0, 0)
        while o < stdout.count || e < stderr.count {
            if e == stderr.count || (o < stdout.count && rng.next() % 2 == 0) {
                merged.append(stdout[o])
                o += 1
            } else {
                merged.append(stderr[e])
                e += 1
            }
        }

        var decoder = LineDecoder(format: .auto, source: 7)
        var joiner = PartialJoiner()
        var got: [LogStream: [RuntimeRenderer.Expected]] = [:]
        var bad: [DecodedLine] = []
        let collect = { (line: LogLine) in
            if !line.flags.isDisjoint(with: [.malformed, .truncated]) || line.source != 7 || line.isPartial {
                bad.append(DecodedLine(line))
            }
            got[line.stream, default: []].append(RuntimeRenderer.Expected(text: Array(line.text), time: line.time))
        }
        for (now, physical) in merged.enumerated() {
            physical.withUnsafeBytes { bytes in
                joiner.push(decoder.decode(bytes, flags: []), now: Int64(now), emit: collect)
            }
        }
        joiner.finish(emit: collect)

        let label = "seed \(seed) (WEFT_SEED=\(seed)) \(name)"
        #expect(bad.isEmpty, "\(label): unexpected lines \(bad.prefix(3))")
        #expect(decoder.malformedCount == 0, "\(label)")
        #expect(joiner.pendingRuns == 0 && joiner.pendingBytes == 0, "\(label)")
        if !merged.isEmpty {
            #expect(decoder.detectedFormat == format, "\(label)")
            #expect(decoder.runtime == runtime, "\(label)")
        }
        for stream in [LogStream.stdout, .stderr] {
            let want = rendered[stream]!.expected
            let have = got[stream] ?? []
            guard want != have else { continue }
            let index = (0..<min(want.count, have.count)).first { want[$0] != have[$0] } ?? min(want.count, have.count)
            let describe = { (lines: [RuntimeRenderer.Expected]) -> String in
                guard index < lines.count else { return "nothing" }
                let line = lines[index]
                let start = String(decoding: line.text.prefix(60), as: UTF8.self)
                return "\(line.text.count) bytes at \(Timestamp.rfc3339(line.time)): \(start.debugDescription)"
            }
            let message: String =
                "\(label) \(stream): \(have.count) lines, expected \(want.count); first difference at line \(index): "
                + "got \(describe(have)), expected \(describe(want))"
            Issue.record(Comment(rawValue: message))
        }
    }
}

/// Random line content: mostly text, with the bytes that stress escaping and splitting.
enum LineGenerator {
    static func line(_ rng: inout SplitMix64) -> [UInt8] {
        let target: Int
        switch rng.next() % 100 {
        case 0..<50: target = Int(rng.next() % 80)
        case 50..<75: target = 80 + Int(rng.next() % 2000)
        case 75..<85: target = 2000 + Int(rng.next() % 14_500)
        case 85..<92: target = [8191, 8192, 8193, 16383, 16384, 16385, 32768][Int(rng.next() % 7)]
        default: target = 16_000 + Int(rng.next() % 24_961)
        }
        var out: [UInt8] = []
        out.reserveCapacity(target + 4)
        while out.count < target {
            out += token(&rng)
        }
        if out.count > target { out.removeLast(out.count - target) }
        return out
    }

    static let words = Array("The quick brown fox jumps over the lazy dog 0123456789 {}[]:,.;=+-_/'".utf8)
    static let specials: [[UInt8]] = [
        [0x22], [0x5C], [0x3C], [0x3E], [0x26], [0x0D], [0x09], [0x00], [0x1B], [0x7F], [0x2F],
        [0xC3, 0xA9],  // é
        [0xE2, 0x82, 0xAC],  // €
        [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0xA9],  // U+2028, U+2029
        [0xE4, 0xB8, 0xAD],  // 中
        [0xF0, 0x9F, 0x98, 0x80],  // 😀
        [0xFF], [0x80], [0xC3], [0xED, 0xA0, 0x80], [0xF0, 0x9F],  // not UTF-8
        Array("\\n".utf8), Array("\\u0041".utf8), Array("\"log\":".utf8),
    ]

    static func token(_ rng: inout SplitMix64) -> [UInt8] {
        let pick = rng.next() % 100
        if pick < 70 {
            let count = Int(rng.next() % 24) + 1
            return (0..<count).map { _ in words[Int(rng.next() % UInt64(words.count))] }
        }
        if pick < 75 {
            // Any control byte but the newline.
            let b = UInt8(rng.next() % 0x20)
            return [b == 0x0A ? 0x0B : b]
        }
        return specials[Int(rng.next() % UInt64(specials.count))]
    }
}
