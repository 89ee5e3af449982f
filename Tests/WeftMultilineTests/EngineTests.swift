import Testing
import WeftCore
import WeftMultiline
import WeftTestSupport

@Suite struct EngineTests {
    let javaTrace = """
        Exception in thread "main" java.lang.IllegalStateException: boom
        \tat App.run(App.java:10)
        \tat App.main(App.java:5)
        """

    @Test func mergesATraceAndKeepsNeighboursApart() throws {
        var h = try EngineHarness()
        h.push("2026-11-29 05:00:00 INFO starting")
        h.pushLines(javaTrace)
        h.push("2026-11-29 05:00:01 INFO next request")
        let records = h.finish()
        #expect(
            records.map(\.body) == [
                "2026-11-29 05:00:00 INFO starting", javaTrace, "2026-11-29 05:00:01 INFO next request",
            ])
        #expect(records.map(\.parser) == [nil, "java", nil])
        #expect(records.map(\.flushReason) == [.nextRecord, .nextRecord, .endOfInput])
        #expect(records[1].lineCount == 3)
    }

    @Test func countsMergedRecordsByParserName() throws {
        var h = try EngineHarness(parsers: ["python", "java"])
        h.pushLines(javaTrace)
        h.push("2026-11-29 05:00:01 INFO next request")
        h.pushLines(javaTrace)
        h.pushLines("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: bad")
        _ = h.finish()
        #expect(h.engine.statistics.recordsByParser == ["java": 2, "python": 1])
        #expect(h.engine.statistics.records == 4)
    }

    @Test func twoTracesBackToBackAreTwoRecords() throws {
        let records = try EngineHarness.records(javaTrace + "\n" + javaTrace)
        #expect(records.map(\.body) == [javaTrace, javaTrace])
    }

    @Test func idleTimeoutFlushesWithoutSleeping() throws {
        var h = try EngineHarness(configuration: .init(flushTimeout: 1_000_000_000))
        h.pushLines(javaTrace)
        h.advance(byMilliseconds: 999)
        #expect(h.sink.records.isEmpty)
        // The idle timer restarts with every line of the stream.
        h.push("\tat App.more(App.java:1)")
        h.advance(byMilliseconds: 999)
        #expect(h.sink.records.isEmpty)
        h.advance(byMilliseconds: 1)
        #expect(h.sink.records.count == 1)
        #expect(h.sink.records[0].flushReason == .timeout)
        #expect(h.sink.records[0].lineCount == 4)
        #expect(h.engine.nextFlushDeadline == nil)
    }

    @Test func timeoutIsPerStream() throws {
        var h = try EngineHarness()
        h.pushLines(javaTrace, stream: .stderr)
        h.advance(byMilliseconds: 600)
        h.push("stdout keeps talking", stream: .stdout)
        h.advance(byMilliseconds: 600)
        #expect(h.sink.records.map(\.stream) == [.stderr])
        #expect(h.sink.records[0].flushReason == .timeout)
    }

    @Test func streamsNeverMix() throws {
        var h = try EngineHarness()
        h.push("Exception in thread \"main\" java.lang.IllegalStateException: boom", stream: .stderr)
        h.push("\tat App.run(App.java:10)", stream: .stderr)
        h.push("plain stdout line", stream: .stdout)
        h.push("\tat App.main(App.java:5)", stream: .stderr)
        h.push("another stdout line", stream: .stdout)
        let records = h.finish()
        let stderr = records.filter { $0.stream == .stderr }
        #expect(stderr.map(\.body) == [javaTrace])
        #expect(records.filter { $0.stream == .stdout }.map(\.body) == ["plain stdout line", "another stdout line"])
    }

    @Test func maxLinesCutsAndContinues() throws {
        var h = try EngineHarness(configuration: .init(flushTimeout: 1_000_000_000, maxLines: 3))
        h.push("java.lang.IllegalStateException: boom")
        for i in 0..<5 { h.push("\tat App.f\(i)(App.java:\(i))") }
        h.push("2026-11-29 INFO after")
        let records = h.finish()
        #expect(records.map(\.lineCount) == [3, 3, 1])
        #expect(records.map(\.flushReason) == [.maxLines, .nextRecord, .endOfInput])
        #expect(records.map(\.truncated) == [true, false, false])
        #expect(records.map(\.continuation) == [false, true, false])
        #expect(records[1].parser == "java")
    }

    @Test func maxBytesCutsRecordsAndLongLines() throws {
        var h = try EngineHarness(configuration: .init(flushTimeout: 1_000_000_000, maxLines: 100, maxBytes: 64))
        h.push("java.lang.IllegalStateException: boom")  // 38 bytes
        h.push("\tat App.f(App.java:1)")  // 21 + 1 → 60
        h.push("\tat App.g(App.java:2)")  // would be 82 → cut
        h.push(String(repeating: "é", count: 100))  // 200 bytes alone: cut at a character boundary
        let records = h.finish()
        #expect(records.count == 3)
        #expect(records[0].flushReason == .maxBytes)
        #expect(records[0].truncated)
        #expect(records[0].lineCount == 2)
        #expect(records[1].body == "\tat App.g(App.java:2)")
        #expect(records[1].continuation)
        #expect(records[2].bodyBytes.count == 64)
        #expect(records[2].body == String(repeating: "é", count: 32))
        #expect(records[2].truncated)
        #expect(records.allSatisfy { $0.bodyBytes.count <= 64 })
    }

    @Test func totalPendingBytesAreBounded() throws {
        var configuration = MultilineConfiguration()
        configuration.maxPendingBytes = 100
        var h = try EngineHarness(configuration: configuration)
        for source in 0..<10 as Range<SourceID> {
            h.push("java.lang.IllegalStateException: boom from source \(source)", source: source)
        }
        #expect(h.engine.pendingByteCount <= 100)
        #expect(h.sink.records.contains { $0.flushReason == .bufferFull })
        let records = h.finish()
        #expect(records.count == 10)
    }

    @Test func streamCountIsBounded() throws {
        var configuration = MultilineConfiguration()
        configuration.maxStreams = 4
        var h = try EngineHarness(configuration: configuration)
        // Every stream holds its one ordinary line (it waits for the next line of its stream), so no stream is idle:
        // opening a fifth must flush the stream quiet for longest, which is the oldest.
        for source in 0..<20 as Range<SourceID> {
            h.advance(byMilliseconds: 1)
            h.push("line from \(source)", source: source)
            let open = min(Int(source) + 1, 4)
            #expect(h.sink.records.count == Int(source) + 1 - open, "after opening stream \(source)")
            if source >= 4 {
                #expect(h.sink.records.last?.source == source - 4)
                #expect(h.sink.records.last?.flushReason == .bufferFull)
            }
        }
        let records = h.finish()
        #expect(records.map(\.source) == Array(0..<20))
        #expect(
            records.map(\.flushReason) == Array(repeating: .bufferFull, count: 16)
                + Array(repeating: .endOfInput, count: 4))
        #expect(records.map(\.body) == (0..<20).map { "line from \($0)" })
    }

    @Test func malformedLineLeavesAloneAndKeepsNeighbours() throws {
        var h = try EngineHarness()
        h.push("java.lang.IllegalStateException: boom")
        h.push("\tat App.f(App.java:1)")
        LogLine.with("{\"log\":\"broken", flags: .malformed) { h.engine.push($0, now: h.clock.now, into: &h.sink) }
        h.push("\tat App.g(App.java:2)")
        let records = h.finish()
        #expect(records.map(\.lineCount) == [2, 1, 1])
        #expect(records.map(\.malformed) == [false, true, false])
        #expect(records[1].flushReason == .malformed)
        #expect(h.engine.statistics.malformedLines == 1)
    }

    @Test func tentativeBlankLineIsNotSwallowed() throws {
        // A blank line after a goroutine dump belongs to it only if another goroutine follows.
        let dump = """
            panic: boom

            goroutine 1 [running]:
            main.main()
            \t/app/main.go:5 +0x1d
            """
        let records = try EngineHarness.records(dump + "\n\n2026/11/29 05:00:00 next")
        #expect(records.map(\.body) == [dump, "", "2026/11/29 05:00:00 next"])
        #expect(records[0].parser == "go")
    }

    @Test func headerLineJoinsTheTraceItIntroduces() throws {
        let trace = """
            2026-11-29 05:00:00,123 ERROR [main] com.example.App - request failed
            java.lang.IllegalStateException: boom
            \tat com.example.App.run(App.java:10)
            """
        let records = try EngineHarness.records("2026-11-29 05:00:00,000 INFO [main] ok\n" + trace)
        #expect(records.map(\.body) == ["2026-11-29 05:00:00,000 INFO [main] ok", trace])
        // An INFO line is not a header: the trace starts on its own.
        let info = try EngineHarness.records(
            "2026-11-29 INFO ok\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: x"
        )
        #expect(info.count == 2)
    }

    @Test func crIsIgnoredByRulesButKeptInBody() throws {
        let records = try EngineHarness.records("java.lang.IllegalStateException: boom\r\n\tat App.f(App.java:1)\r")
        #expect(records.count == 1)
        #expect(records[0].body == "java.lang.IllegalStateException: boom\r\n\tat App.f(App.java:1)\r")
    }

    @Test func tracesWithNonASCIIPathsAndMessagesMerge() throws {
        // Rule classes are ASCII (no PCRE2_UCP); paths, messages and code are matched by `[^"]`, `.`, `\S`, which
        // take any character.
        let python = """
            Traceback (most recent call last):
              File "/srv/café/app.py", line 3, in <module>
                raise ValueError("naïve – ünïcode ✓")
            ValueError: naïve – ünïcode ✓
            """
        let java = """
            java.lang.IllegalStateException: Zahlung fehlgeschlagen: Größe überschritten
            \tat com.example.Zahlung.prüfen(Zahlung.java:42)
            \tat com.example.Main.main(Main.java:7)
            """
        var h = try EngineHarness(parsers: ["python", "java"])
        h.pushLines(python)
        h.pushLines(java)
        h.push("ok")
        let records = h.finish()
        #expect(records.map(\.body) == [python, java, "ok"])
        #expect(records.map(\.parser) == ["python", "java", nil])
    }

    @Test func aCopiedEngineKeepsItsOwnPendingRecords() throws {
        // Record buffers are shared by copies of the engine until one of them writes; each must see only its lines.
        var first = try EngineHarness(parsers: ["java"])
        first.pushLines("java.lang.IllegalStateException: boom\n\tat App.run(App.java:10)")
        var second = first
        first.push("\tat App.main(App.java:3)")
        second.push("\tat Other.go(Other.java:99)")
        second.push("\tat Other.main(Other.java:1)")
        #expect(
            first.finish().map(\.body) == [
                "java.lang.IllegalStateException: boom\n\tat App.run(App.java:10)\n\tat App.main(App.java:3)"
            ])
        #expect(
            second.finish().map(\.body) == [
                "java.lang.IllegalStateException: boom\n\tat App.run(App.java:10)\n\tat Other.go(Other.java:99)"
                    + "\n\tat Other.main(Other.java:1)"
            ])
    }

    @Test func explainSaysWhy() throws {
        var h = try EngineHarness(parsers: ["java"])
        var events: [ExplainEvent] = []
        h.engine.explain = { events.append($0) }
        h.pushLines(javaTrace)
        h.push("done")
        _ = h.finish()
        #expect(events.count == 6)
        guard case .started(_, _, "java", 0, _, "exception", false) = events[0] else {
            Issue.record("expected a java start, got \(events[0])")
            return
        }
        guard case .continued(_, "\tat App.run(App.java:10)", "java", "exception", 0, _, "frames", false) = events[1]
        else {
            Issue.record("expected a frame, got \(events[1])")
            return
        }
        guard case .ended(_, .nextRecord, 3, "java", let why) = events[3] else {
            Issue.record("expected the record to end, got \(events[3])")
            return
        }
        #expect(why.contains("java.frames"))
    }

    @Test func catastrophicUserRuleIsBoundedAndCounted() throws {
        let file = try RuleFile.parse(
            """
            name: slow
            states:
              start:
                - match: '(a+)+$'
                  next: start
            """, origin: "test")
        var configuration = MultilineConfiguration()
        configuration.regexMatchLimit = 5_000
        var h = try EngineHarness(parsers: [], extra: [file], configuration: configuration)
        h.push(String(repeating: "a", count: 30_000) + "!")
        h.push("ok")
        let records = h.finish()
        #expect(records.count == 2)
        #expect(h.engine.matchLimitHits >= 1)
    }

    @Test func failingTrialsAreBounded() throws {
        // A message-continuation rule that takes any line on trial, confirmed only by a frame line that never comes.
        let file = try RuleFile.parse(TrialLineTests.trialRules, origin: "test")
        var configuration = MultilineConfiguration()
        configuration.maxTentativeLines = 8
        var h = try EngineHarness(parsers: [], extra: [file], configuration: configuration)
        var events = 0
        h.engine.explain = { _ in events += 1 }
        h.push("Error: boom")
        for i in 0..<200 { h.push("line \(i)") }
        // The trial failed after maxTentativeLines lines, long before the input ended.
        #expect(h.sink.records.first?.body == "Error: boom")
        let records = h.finish()
        #expect(records.first?.body == "Error: boom")
        #expect(records.count == 201)
        #expect(records.allSatisfy { $0.lineCount == 1 })
        // Each line is read at most maxTentativeLines + 1 times (and here only the first trial can fail).
        #expect(events < 201 * 3)
    }

    @Test func weakRulesDoNotSwallowTheNextTrace() throws {
        // A Python traceback whose message may continue with "any line", then a Java trace on the same stream.
        let python = """
            Traceback (most recent call last):
              File "a.py", line 1, in <module>
            ValueError: bad
            details: more of the message
            """
        let java = """
            java.lang.IllegalStateException: boom
            \tat App.main(App.java:5)
            """
        let records = try EngineHarness.records(python + "\n" + java)
        #expect(records.map(\.body) == [python, java])
        #expect(records.map(\.parser) == ["python", "java"])
    }

    // MARK: - Time: weak joins do not cross a pause longer than a burst

    static let second: Int64 = 1_000_000_000
    static let t0: Int64 = 1_773_478_800 * 1_000_000_000  // 2026-03-14T09:00:00Z

    /// Pushes (line, milliseconds after t0) with those log times.
    func timed(_ lines: [(String, Int64)], configuration: MultilineConfiguration = .init()) throws
        -> [CollectedRecord]
    {
        var harness = try EngineHarness(configuration: configuration)
        for (text, milliseconds) in lines {
            harness.push(text, stream: .stderr, time: Self.t0 + milliseconds * 1_000_000)
        }
        return harness.finish()
    }

    @Test func aMessageContinuationDoesNotCrossAPause() throws {
        let trace: [(String, Int64)] = [
            ("Traceback (most recent call last):", 0), ("  File \"a.py\", line 1, in <module>", 0),
            ("ValueError: bad", 0),
        ]
        // The access log's next line, a second later: its own record (the weak "message goes on" rule would take
        // it, not knowing its shape).
        let access = #"10.0.4.7 - - [14/Mar/2026:09:00:01 +0000] "GET / HTTP/1.1" 200 612"#
        let apart = try timed(trace + [(access, 1000)])
        #expect(
            apart.map(\.body) == [
                "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: bad", access,
            ])
        // Within the burst, the same line is still read as the message going on: time only ever separates.
        let close = try timed(trace + [("  more of the message", 3)])
        #expect(close.count == 1)
        // With the window off (0), the pause does not count.
        var off = MultilineConfiguration()
        off.burstWindow = 0
        #expect(try timed(trace + [("details: more of the message", 1000)], configuration: off).count == 1)
        #expect(try timed(trace + [("details: more of the message", 1000)]).count == 2)
    }

    @Test func aLogLinePrintedWellBeforeADumpIsNotItsHeader() throws {
        let dump: [(String, Int64)] = [
            ("goroutine 1 [running]:", 0), ("main.main()", 0), ("\t/app/main.go:5 +0x1d", 0),
        ]
        // A line that says what failed, so only time decides (OrdinaryAfterTraceTests: one that does not never does).
        let line = "2026/03/14 08:59:57 failed: reconcile 1042: runtime error: integer divide by zero"
        let early = try timed([(line, -3000)] + dump)
        #expect(early.map(\.body) == [line, "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d"])
        let introducing = try timed([(line, -1)] + dump)
        #expect(introducing.count == 1, "a log line right before the dump introduces it (debug.Stack())")
        #expect(introducing.first?.parser == "go")
    }

    @Test func strongRulesIgnoreTime() throws {
        // A frame is a frame, however late (a runtime descheduled mid-trace).
        let records = try timed([
            ("java.lang.IllegalStateException: boom", 0), ("\tat com.example.App.run(App.java:10)", 2000),
            ("\tat com.example.App.main(App.java:5)", 4000),
        ])
        #expect(records.count == 1)
    }

    @Test func arrivalTimesJudgeLinesWithoutTimestamps() throws {
        var harness = try EngineHarness()
        harness.pushLines("Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: bad")
        harness.clock.advance(byMilliseconds: 600)  // under the flush timeout, over the burst window
        harness.push("details: more of the message")
        #expect(harness.finish().count == 2)
    }

    @Test func explainSaysWhenTimeDecided() throws {
        var harness = try EngineHarness()
        var reasons: [String] = []
        harness.engine.explain = { event in
            if case .ended(_, _, _, _, let why) = event { reasons.append(why) }
        }
        for (text, milliseconds) in [
            ("Traceback (most recent call last):", 0), ("  File \"a.py\", line 1, in <module>", 0),
            ("ValueError: bad", 0), ("next", 412),
        ] as [(String, Int64)] {
            harness.push(text, time: Self.t0 + milliseconds * 1_000_000)
        }
        _ = harness.finish()
        #expect(
            reasons.first == "gap 412 ms > burst window: a weak rule does not join (state python.message_first)",
            "\(reasons)"
        )
    }

    // MARK: - Ordinary lines after a trace stay their own records

    /// Shapes of ordinary log lines that used to be glued onto a trace's message (issue 16, item 1): each must stay
    /// a record of its own after a Python traceback and after a Ruby error, however soon it follows.
    static let ordinaryLines = [
        #"10.0.4.7 - - [14/Mar/2026:10:11:34 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0""#,
        "I0314 11:21:46.428282       1 controller.go:326] synced",
        "time=2026-03-14T11:21:46Z level=info msg=\"request served\" path=/",
        "level=error msg=\"upstream timed out\"",
        "I, [2026-03-14T12:11:50.292325 #25]  INFO -- : Completed 200 OK in 3ms",
        "#8 DONE 14.5s",
        "Mar 14 12:11:50 web-1 nginx: reloaded",
    ]

    @Test(arguments: ordinaryLines)
    func anOrdinaryLineAfterAPythonTracebackIsItsOwnRecord(line: String) throws {
        let trace = "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: bad"
        let records = try EngineHarness.records(trace + "\n" + line)
        #expect(records.map(\.body) == [trace, line])
        // A message that really goes on still joins.
        #expect(try EngineHarness.records(trace + "\ndetails: the second line of the message").count == 1)
    }

    @Test(arguments: ordinaryLines)
    func anOrdinaryLineAfterARubyErrorIsItsOwnRecord(line: String) throws {
        let trace = "app.rb:3:in `f': boom (RuntimeError)\n\tfrom app.rb:7:in `<main>'"
        let records = try EngineHarness.records("app.rb:3:in `f': boom (RuntimeError)\n" + line)
        #expect(records.map(\.body) == ["app.rb:3:in `f': boom (RuntimeError)", line])
        #expect(try EngineHarness.records(trace).count == 1)
    }
}
