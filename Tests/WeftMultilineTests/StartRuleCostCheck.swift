import Foundation
import Testing
import WeftMultiline
import WeftRegex
import WeftTestSupport

/// Opt-in measurement, not a test of behaviour: `WEFT_BENCH=1 swift test -c release --filter StartRuleCostCheck`.
/// Prints the cost per line of each built-in start rule on the benchmark input's lines, to find the expensive ones.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["WEFT_BENCH"] != nil))
struct StartRuleCostCheck {
    @Test func costPerStartRule() throws {
        let path = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("bench-data/plain-200.log")
        let data = try Data(contentsOf: path).prefix(20_000_000)
        let lines = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        let matcher = Matcher()
        func time(_ body: (UnsafeRawBufferPointer) -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for line in lines { line.withUnsafeBytes { body($0) } }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(lines.count)
        }
        let files = BuiltinParsers.ruleFiles
        var all: [Pattern] = []
        for file in files {
            for rule in file.states.first(where: { $0.name == "start" })!.rules {
                let pattern = try Pattern(rule.pattern)
                all.append(pattern)
                let ns = time { _ = matcher.matches(pattern, in: $0) }
                print(String(format: "%7.1f ns  %@  %@", ns, file.name, String(rule.pattern.prefix(90))))
            }
        }
        let combined = AlternationSet(all, strategy: .rejectFirst)
        print(
            String(
                format: "%7.1f ns  combined (reject first)", time { _ = combined.firstMatch(in: $0, using: matcher) }))
        let marks = AlternationSet(all, strategy: .marks)
        print(String(format: "%7.1f ns  combined (marks)", time { _ = marks.firstMatch(in: $0, using: matcher) }))
    }
}
