import Testing

@testable import WeftRegex

@Suite struct PatternTests {
    let matcher = Matcher()

    @Test func matchesOnBytes() throws {
        let pattern = try Pattern(#"^Traceback \(most recent call last\):$"#)
        #expect(matcher.matches(pattern, "Traceback (most recent call last):"))
        #expect(!matcher.matches(pattern, "  Traceback (most recent call last):"))
        #expect(pattern.isJITCompiled)
    }

    @Test func invalidPatternReportsOffsetAndMessage() {
        #expect(throws: PatternError.self) { try Pattern("a(b") }
        do {
            _ = try Pattern("ab[")
            Issue.record("an unterminated class must not compile")
        } catch {
            #expect(error.offset == 3)
            #expect(error.message.contains("missing terminating ]"))
        }
    }

    @Test func invalidUTF8IsSafe() throws {
        // A prefix rule matches a line whatever bytes follow the prefix…
        let pattern = try Pattern(#"^\s+at \S"#)
        let bytes: [UInt8] = Array("\tat x".utf8) + [0xFF, 0xC3] + Array("y".utf8)
        let outcome = bytes.withUnsafeBytes { matcher.match(pattern, in: $0) }
        #expect(outcome == .match(mark: -1))
        // …but no character class ever matches an invalid sequence (why rule files prefer prefixes to `.+$`).
        let whole = try Pattern(#"^\s+at .+$"#)
        #expect(bytes.withUnsafeBytes { matcher.match(whole, in: $0) } == .noMatch)
        let dot = try Pattern(#"^.$"#)
        let lone: [UInt8] = [0xC3]
        #expect(lone.withUnsafeBytes { matcher.match(dot, in: $0) } == .noMatch)
    }

    @Test func catastrophicBacktrackingIsBounded() throws {
        let pattern = try Pattern(#"(a+)+$"#)
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: 5000) + [UInt8(ascii: "!")]
        let local = Matcher(matchLimit: 100_000)
        let outcome = line.withUnsafeBytes { local.match(pattern, in: $0) }
        #expect(outcome == .limitExceeded)
        #expect(local.limitHits == 1)
    }

    @Test func alternationSetKeepsOrder() throws {
        let set = AlternationSet([
            try Pattern("^a"), try Pattern("^ab"), try Pattern("^x"),
        ])
        func first(_ s: String) -> Int? {
            var bytes = Array(s.utf8)
            return bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) }
        }
        #expect(first("abc") == 0)
        #expect(first("xyz") == 2)
        #expect(first("zzz") == nil)
    }

    @Test func alternationSetFallsBackForBackReferences() throws {
        let set = AlternationSet([try Pattern(#"^(a)\1$"#), try Pattern("^b")])
        var bytes = Array("aa".utf8)
        #expect(bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) } == 0)
        bytes = Array("b".utf8)
        #expect(bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) } == 1)
    }

    @Test(arguments: [AlternationSet.Strategy.marks, .rejectFirst])
    func alternationSetWithUnanchoredPatternsKeepsOrder(strategy: AlternationSet.Strategy) throws {
        // The unanchored pattern is matched apart from the anchored ones; the answer is still the first in order.
        let set = AlternationSet(
            [try Pattern("^ab"), try Pattern("x+y"), try Pattern("^a"), try Pattern("^zz")], strategy: strategy)
        func first(_ s: String) -> Int? {
            var bytes = Array(s.utf8)
            return bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) }
        }
        #expect(first("abxy") == 0)
        #expect(first("axy") == 1)  // x+y comes before ^a
        #expect(first("a") == 2)
        #expect(first("zz xxy") == 1)
        #expect(first("zz") == 3)
        #expect(first("q") == nil)
        #expect(first("qqqxxxy") == 1)
        #expect(first("") == nil)
    }

    @Test func aPatternThatHitsTheLimitGetsTheProbationLimit() throws {
        let pattern = try Pattern(#"(a+)+$"#)
        let healthy = try Pattern(#"^(?:a|b)+c"#)
        let local = Matcher(matchLimit: 1_000_000, probationLimit: 1_000)
        func outcome(_ pattern: Pattern, _ line: [UInt8]) -> MatchOutcome {
            line.withUnsafeBytes { local.match(pattern, in: $0) }
        }
        let a = UInt8(ascii: "a")
        // 14 `a` before the `!`: tens of thousands of steps, within the full limit: an honest "no match".
        let medium = [UInt8](repeating: a, count: 14) + [UInt8(ascii: "!")]
        #expect(outcome(pattern, medium) == .noMatch)
        #expect(!pattern.isOnProbation)
        // A hopeless line hits the full limit: counted, and the pattern goes on probation.
        let hopeless = [UInt8](repeating: a, count: 5000) + [UInt8(ascii: "!")]
        #expect(outcome(pattern, hopeless) == .limitExceeded)
        #expect(pattern.isOnProbation)
        #expect(local.limitHits == 1)
        // Now the medium line is more than its probation limit allows; cheap lines still match.
        #expect(outcome(pattern, medium) == .limitExceeded)
        #expect(local.limitHits == 2)
        #expect(outcome(pattern, Array("xyz aaa".utf8)) == .match(mark: -1))
        // Other patterns keep the full limit: this one needs more steps than the probation limit.
        let long = [UInt8](repeating: a, count: 3000) + [UInt8(ascii: "c")]
        #expect(outcome(healthy, long) == .match(mark: -1))
        #expect(!healthy.isOnProbation)
        #expect(local.limitHits == 2)
    }

    @Test func characterClassesAreASCIIUnlessThePatternAsksForUnicode() throws {
        #expect(!matcher.matches(try Pattern(#"^\w+$"#), "Ошибка"))
        #expect(matcher.matches(try Pattern(#"^\w+$"#), "Error_42"))
        #expect(matcher.matches(try Pattern(#"(*UCP)^\w+$"#), "Ошибка"))
        #expect(matcher.matches(try Pattern(#"^[^\s:]+:\d+$"#), "café.rb:12"))
        #expect(!matcher.matches(try Pattern(#"^\d$"#), "٣"))  // ARABIC-INDIC DIGIT THREE
        // A (*UCP) pattern cannot be combined into an alternation (the verb must open the pattern); its set still
        // answers correctly, one pattern at a time.
        let set = AlternationSet([try Pattern("^a"), try Pattern(#"(*UCP)^\w+!$"#), try Pattern("^b")])
        var bytes = Array("Ошибка!".utf8)
        #expect(bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) } == 1)
        bytes = Array("b".utf8)
        #expect(bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: matcher) } == 2)
    }

    @Test func startRulesRememberPrefixesThatCannotMatch() throws {
        let local = Matcher()
        let set = AlternationSet(
            [try Pattern("^panic: "), try Pattern(#"^2026-11-29 panic\b"#), try Pattern(#"^goroutine \d+"#)],
            strategy: .rejectFirst)
        func first(_ s: String, in set: AlternationSet = set) -> Int? {
            var bytes = Array(s.utf8)
            return bytes.withUnsafeMutableBytes { set.firstMatch(in: UnsafeRawBufferPointer($0), using: local) }
        }
        // A prefix no rule can continue: looked up, checked the second time, then answered from the table.
        for _ in 0..<5 { #expect(first("2026-10-01T05:00:00Z INFO ready") == nil) }
        #expect(local.prefixVerdictHits == 3)
        // A prefix some rule could continue is never cached as "no": the line after it still matches.
        for _ in 0..<3 { #expect(first("2026-11-29 ok") == nil) }
        #expect(first("2026-11-29 panic now") == 1)
        #expect(first("goroutine 1 [running]:") == 2)
        #expect(local.prefixVerdictHits == 3)
        // Short lines and non-ASCII prefixes are matched as usual.
        for _ in 0..<3 {
            #expect(first("panic") == nil)
            #expect(first("gérer 12345678") == nil)
        }
        #expect(local.prefixVerdictHits == 3)

        // Another set on the same matcher has verdicts of its own.
        let other = AlternationSet([try Pattern("^2026-10-01T05")], strategy: .rejectFirst)
        #expect(first("2026-10-01T05:00:00Z INFO ready", in: other) == 0)

        // A set with an unanchored pattern caches what its anchored ones cannot do, and still asks the unanchored
        // one about every line.
        let unanchored = AlternationSet(
            [try Pattern("^panic: "), try Pattern("ready$"), try Pattern("^2026-11-29 x")],
            strategy: .rejectFirst)
        for _ in 0..<4 {
            #expect(first("2026-10-01T06:00:00Z INFO ready", in: unanchored) == 1)
            #expect(first("2026-10-01T06:00:00Z INFO already", in: unanchored) == 1)
            #expect(first("2026-10-01T06:00:00Z INFO set", in: unanchored) == nil)
        }
        #expect(local.prefixVerdictHits == 3 + 10)
        #expect(first("2026-11-29 x", in: unanchored) == 2)
        // Marks sets (the rules inside a trace) never cache.
        let marks = AlternationSet([try Pattern("^panic: "), try Pattern("^goroutine")], strategy: .marks)
        for _ in 0..<4 { #expect(first("2026-10-01T05:00:00Z INFO ready", in: marks) == nil) }
        #expect(local.prefixVerdictHits == 3 + 10)
    }
}
