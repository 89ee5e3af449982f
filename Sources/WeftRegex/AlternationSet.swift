/// An ordered list of patterns matched as one: the first pattern (in order) that matches wins.
///
/// Testing every line against each of twenty start rules one call at a time costs twenty calls. The set compiles
/// them into a single alternation instead, in one of two ways:
///
/// - ``Strategy/marks``: `(*MARK:0)(?:p0)|(*MARK:1)(?:p1)|…`, so one JIT match answers "which rule, if any". Best
///   where most lines match (the rules of a state inside a trace).
/// - ``Strategy/rejectFirst``: `(?:p0)|(?:p1)|…` without marks, which the JIT runs faster, answers "does any rule
///   match"; only when one does are the patterns tried one by one to find which. Best where most lines match
///   nothing (the start rules, tried on every ordinary line).
///
/// Patterns that use numbered back references cannot be combined (their group numbers would shift); when any
/// pattern does, or the combination does not compile, the set matches one by one.
public final class AlternationSet {
    public enum Strategy: Sendable {
        case marks
        case rejectFirst
    }

    public let patterns: [Pattern]
    private let combined: Pattern?
    private let strategy: Strategy

    public init(_ patterns: [Pattern], strategy: Strategy = .marks) {
        self.patterns = patterns
        self.strategy = strategy
        if patterns.count > 1, patterns.allSatisfy({ $0.highestBackReference == 0 }) {
            let source = patterns.enumerated()
                .map {
                    strategy == .marks ? "(*MARK:\($0.offset))(?:\($0.element.source))" : "(?:\($0.element.source))"
                }
                .joined(separator: "|")
            combined = try? Pattern(source)
        } else {
            combined = nil
        }
    }

    /// The index of the first pattern that matches `bytes`, or nil.
    @inline(__always)
    public func firstMatch(in bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        if let combined {
            switch matcher.match(combined, in: bytes) {
            case .match(let mark):
                if strategy == .marks { return mark >= 0 ? mark : nil }
            case .noMatch, .limitExceeded:
                return nil
            }
        }
        for (index, pattern) in patterns.enumerated() where matcher.matches(pattern, in: bytes) {
            return index
        }
        return nil
    }

    public var isEmpty: Bool { patterns.isEmpty }
}
