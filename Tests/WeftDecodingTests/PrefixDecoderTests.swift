import Testing
import WeftCore
import WeftDecoding

/// The prefix layer on its own: what detection decides from which lines, and what each format's lines become.
@Suite struct PrefixDecoderTests {
    struct Out: Equatable, CustomStringConvertible {
        var text: String
        var key: String?
        var time: Int64
        var malformed: Bool
        var description: String { "\(key ?? "-") \(time) \(malformed ? "malformed " : "")\(text)" }
    }

    /// Pushes `lines` (then flushes, as at the end of the input) and returns what came out and the format decided.
    static func run(
        _ lines: [String], format: LogFormat = .auto, flush: Bool = true
    ) -> (out: [Out], decided: LogFormat?, holding: Bool) {
        var decoder = PrefixDecoder(format: format, year: 2026)
        var out: [Out] = []
        func collect(_ prefixed: PrefixDecoder.Prefixed) {
            out.append(
                Out(
                    text: String(decoding: prefixed.line.text, as: UTF8.self),
                    key: prefixed.key.map { String(decoding: $0, as: UTF8.self) }, time: prefixed.line.time,
                    malformed: prefixed.line.flags.contains(.malformed)))
        }
        for (index, line) in lines.enumerated() {
            Array(line.utf8).withUnsafeBytes { raw in
                decoder.push(LogLine(source: 0, stream: .unknown, text: raw), now: Int64(index), collect)
            }
        }
        let holding = decoder.isHolding
        if flush { decoder.flush(collect) }
        return (out, decoder.decided, holding)
    }

    static func time(_ text: String) -> Int64 { Array(text.utf8).withUnsafeBytes { RFC3339.parse($0)! } }

    // MARK: - Plain logs stay plain

    static let nanos = "2026-03-14T09:00:00.100000000Z"

    @Test func aPlainLogWhoseLinesStartWithMillisecondTimesIsPlain() {
        let lines = (0..<5).map { "2026-03-14T09:00:0\($0).123Z INFO request \($0) served" }
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .plain)
        #expect(!run.holding, "no exact RFC3339Nano shape: decided on the first line, nothing held")
        #expect(run.out.map(\.text) == lines)
        #expect(run.out.allSatisfy { $0.time == Timestamp.none && $0.key == nil })
    }

    @Test func oneLineWithTheExactShapeIsNotEnough() {
        let lines = ["\(Self.nanos) starting"]
        let run = Self.run(lines)
        #expect(run.holding)
        #expect(run.decided == .plain)
        #expect(run.out.map(\.text) == lines)
        #expect(run.out.allSatisfy { $0.time == Timestamp.none })
    }

    @Test func twoLinesAreNotEnoughEither() {
        let lines = ["\(Self.nanos) starting", "\(Self.nanos) ready"]
        let run = Self.run(lines)
        #expect(run.decided == .plain)
        #expect(run.out.map(\.text) == lines)
    }

    @Test func aThirdLineWithoutTheShapeKeepsTheWholeLogPlain() {
        let lines = ["\(Self.nanos) starting", "\(Self.nanos) ready", "Traceback (most recent call last):", "x"]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .plain)
        #expect(run.out.map(\.text) == lines, "held lines leave as they were written, in order")
    }

    @Test func threeLinesWithTheExactShapeAreTimestamped() {
        let lines = [
            "\(Self.nanos) starting", "2026-03-14T09:00:00.200000000Z ready", "2026-03-14T09:00:00.300000000+01:00 x",
        ]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .timestamped)
        #expect(run.out.map(\.text) == ["starting", "ready", "x"])
        #expect(
            run.out.map(\.time) == [
                Self.time(Self.nanos), Self.time("2026-03-14T09:00:00.2Z"),
                Self.time("2026-03-14T08:00:00.3Z"),
            ])
    }

    @Test func afterDetectionALineWithoutTheShapeIsMalformedNotGuessed() {
        let lines = ["\(Self.nanos) a", "\(Self.nanos) b", "\(Self.nanos) c", "no time here"]
        let run = Self.run(lines)
        #expect(run.decided == .timestamped)
        #expect(run.out.last == Out(text: "no time here", key: nil, time: Timestamp.none, malformed: true))
    }

    @Test func twoWordsThatAreNotGeneratedPodNamesAreNotStern() {
        let lines = ["server started on port 8080", "server ready now", "server stopping soon"]
        #expect(Self.run(lines, flush: false).decided == .plain)
    }

    @Test func blankLinesBeforeTheFirstSayNothing() {
        let run = Self.run(["", "  ", "[pod/api-1/app] hello"])
        #expect(run.decided == .kubectl)
        #expect(run.out.map(\.text) == ["", "  ", "hello"])
    }

    // MARK: - Each format

    @Test func kubectlPrefixDecidesOnOneLine() {
        let run = Self.run(["[pod/api-7d9-x2x4q/app] \(Self.nanos) Traceback (most recent call last):"], flush: false)
        #expect(run.decided == .kubectl)
        #expect(
            run.out == [
                Out(
                    text: "Traceback (most recent call last):", key: "pod/api-7d9-x2x4q/app",
                    time: Self.time(Self.nanos), malformed: false)
            ])
    }

    @Test func kubectlWithoutTimestampsKeepsATimeThatIsTheMessage() {
        // Detected without a time after the prefix: a message that starts with one keeps it.
        let run = Self.run(["[pod/a/b] hello", "[pod/a/b] \(Self.nanos) is text"], flush: false)
        #expect(run.out.map(\.text) == ["hello", "\(Self.nanos) is text"])
    }

    @Test func composePaddedNamesAndAnsiColours() {
        let lines = [
            "\u{1B}[36mapi-1     | \u{1B}[0mGET /", "\u{1B}[33mworker-1  | \u{1B}[0mjob 1",
            "\u{1B}[36mapi-1     | \u{1B}[0m\u{1B}[31mERROR\u{1B}[0m boom",
        ]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .compose)
        #expect(run.out.map(\.text) == ["GET /", "job 1", "ERROR boom"])
        #expect(run.out.map(\.key) == ["api-1", "worker-1", "api-1"])
    }

    @Test func sternNeedsGeneratedPodNamesToBeDetected() {
        let lines = [
            "shop-api-7d9c5b6f4-x2x4q api hello", "shop-db-0 postgres ready", "shop-api-7d9c5b6f4-x2x4q api bye",
        ]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .stern)
        #expect(
            run.out.map(\.key) == [
                "shop-api-7d9c5b6f4-x2x4q api", "shop-db-0 postgres", "shop-api-7d9c5b6f4-x2x4q api",
            ])
        #expect(run.out.map(\.text) == ["hello", "ready", "bye"])
    }

    @Test func journalShortFormats() {
        let lines = [
            "2026-03-14T09:00:00+0000 node-1 api[42]: Traceback (most recent call last):",
            "Mar 14 09:00:00.250000 node-1 api[42]:   File \"x.py\", line 1",
            "2026-03-14T09:00:00.500000+00:00 node-1 kernel: oops",
        ]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .journal)
        #expect(run.out.map(\.text) == ["Traceback (most recent call last):", "  File \"x.py\", line 1", "oops"])
        #expect(run.out.map(\.key) == ["node-1 api[42]", "node-1 api[42]", "node-1 kernel"])
        #expect(
            run.out.map(\.time) == [
                Self.time("2026-03-14T09:00:00Z"), Self.time("2026-03-14T09:00:00.25Z"),
                Self.time("2026-03-14T09:00:00.5Z"),
            ])
    }

    @Test func laterLinesOfAJournalMessageKeepItsStreamAndTime() {
        // As journalctl -o short-iso printed a message of three lines (systemd 252), then the next entry.
        let indent = String(repeating: " ", count: 42)
        let lines = [
            "2026-11-29T22:01:15+0000 vm pyapp[30401]: Traceback (most recent call last):",
            indent + "  File \"x.py\", line 1, in <module>", indent + "ValueError: boom",
            "2026-11-29T22:01:16+0000 vm pyapp[30401]: one line after", "   not a continuation",
        ]
        let run = Self.run(lines, flush: false)
        #expect(run.decided == .journal)
        #expect(
            run.out.map(\.text) == [
                "Traceback (most recent call last):", "  File \"x.py\", line 1, in <module>", "ValueError: boom",
                "one line after", "   not a continuation",
            ])
        #expect(
            run.out.map(\.key) == ["vm pyapp[30401]", "vm pyapp[30401]", "vm pyapp[30401]", "vm pyapp[30401]", nil])
        #expect(run.out.map(\.malformed) == [false, false, false, false, true])
        #expect(run.out[1].time == Self.time("2026-11-29T22:01:15Z") && run.out[2].time == run.out[1].time)
    }

    @Test func journalJSONDecidesOnOneLine() {
        let line =
            #"{"_PID":"4519","MESSAGE":"  File \"x.py\"\tline 1","_HOSTNAME":"vm","SYSLOG_IDENTIFIER":"pyapp","#
            + #""__REALTIME_TIMESTAMP":"1795987573665209","_SYSTEMD_UNIT":"app.service","PRIORITY":"6"}"#
        let run = Self.run([line], flush: false)
        #expect(run.decided == .journalJSON)
        #expect(run.out.map(\.text) == ["  File \"x.py\"\tline 1"])
        #expect(run.out.map(\.time) == [1_795_987_573_665_209_000])
        #expect(run.out.map(\.key) == ["vm\u{0}pyapp\u{0}4519\u{0}app.service"])
        let resource = Array("vm\u{0}pyapp\u{0}4519\u{0}app.service".utf8).withUnsafeBytes {
            PrefixDecoder.resource(forKey: $0, format: .journalJSON).map { "\($0.key)=\($0.value)" }
        }
        #expect(
            resource == [
                "host.name=vm", "process.executable.name=pyapp", "process.pid=4519", "systemd.unit=app.service",
            ])
    }

    @Test func aJSONLineThatIsNotAJournalEntryIsPlain() {
        let run = Self.run([#"{"level":"info","msg":"hi"}"#], flush: false)
        #expect(run.decided == .plain)
    }

    @Test(arguments: [
        (LogFormat.kubectl, "pod/a-1/app", ["k8s.pod.name=a-1", "k8s.container.name=app"]),
        (.stern, "a-1 app", ["k8s.pod.name=a-1", "k8s.container.name=app"]),
        (.compose, "web-12", ["service.name=web", "service.instance.id=web-12"]),
        (.compose, "db", ["service.name=db", "service.instance.id=db"]),
        (.journal, "vm sshd[7]", ["host.name=vm", "process.executable.name=sshd", "process.pid=7"]),
    ])
    func resourceOfAKey(format: LogFormat, key: String, expected: [String]) {
        let resource = Array(key.utf8).withUnsafeBytes {
            PrefixDecoder.resource(forKey: $0, format: format).map { "\($0.key)=\($0.value)" }
        }
        #expect(resource == expected)
    }

    // MARK: - Forced

    @Test func aForcedFormatTakesItsShapeFromTheFirstLineAndMarksOthers() {
        let run = Self.run(["web | hi", "not compose"], format: .compose, flush: false)
        #expect(run.decided == .compose)
        #expect(
            run.out == [
                Out(text: "hi", key: "web", time: Timestamp.none, malformed: false),
                Out(text: "not compose", key: nil, time: Timestamp.none, malformed: true),
            ])
    }

    @Test func aForcedSternFormatAcceptsAnyNames() {
        let run = Self.run(["api app hello"], format: .stern, flush: false)
        #expect(run.out.map(\.key) == ["api app"])
    }
}
