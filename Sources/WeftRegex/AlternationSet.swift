/// An ordered list of patterns matched as one: the first pattern (in order) that matches wins.
///
/// Testing every line against each of twenty start rules one call at a time costs twenty calls; the set compiles
/// them into a single alternation `(*MARK:0)(?:p0)|(*MARK:1)(?:p1)|…` so one JIT match answers "which rule, if
/// any", in order. Patterns that use numbered back references cannot be combined (their group numbers would shift);
/// when any pattern does, or the combination does not compile, the set falls back to matching one by one.
public final class AlternationSet {
    public let patterns: [Pattern]
    private let combined: Pattern?

    public init(_ patterns: [Pattern]) {
        self.patterns = patterns
        if patterns.count > 1, patterns.allSatisfy({ $0.highestBackReference == 0 }) {
            let source = patterns.enumerated()
                .map { "(*MARK:\($0.offset))(?:\($0.element.source))" }
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
            if case .match(let mark) = matcher.match(combined, in: bytes), mark >= 0 { return mark }
            return nil
        }
        for (index, pattern) in patterns.enumerated() where matcher.matches(pattern, in: bytes) {
            return index
        }
        return nil
    }

    public var isEmpty: Bool { patterns.isEmpty }
}
