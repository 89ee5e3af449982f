/// An ordered list of patterns matched as one: the first pattern (in order) that matches wins.
///
/// Testing every line against each of thirty start rules one call at a time costs thirty calls. The set instead
/// dispatches on the line's first byte to the (precomputed) subset of patterns that can match a line starting with
/// that byte — for most ordinary lines a handful, often none — and compiles each subset into a single alternation, in
/// one of two ways:
///
/// - ``Strategy/marks``: `(*MARK:0)(?:p0)|(*MARK:1)(?:p1)|…`, so one JIT match answers "which rule, if any". Best
///   where most lines match (the rules of a state inside a trace).
/// - ``Strategy/rejectFirst``: `(?:p0)|(?:p1)|…` without marks, which the JIT runs faster, answers "does any rule
///   match"; only when one does are the patterns tried one by one to find which. Best where most lines match
///   nothing (the start rules, tried on every ordinary line).
///
/// Patterns that use numbered back references cannot be combined (their group numbers would shift); a subset with
/// one is matched one pattern at a time.
public final class AlternationSet {
    public enum Strategy: Sendable {
        case marks
        case rejectFirst
    }

    /// Some of the set's patterns, and their combination.
    struct Subset {
        /// Indices into `patterns`, in order.
        let members: [Int]
        let combined: Pattern?
    }

    public let patterns: [Pattern]
    private let strategy: Strategy
    /// For each first byte, an index into `subsets`; 0 means no pattern can match such a line.
    private let dispatch: [UInt8]
    private let subsets: [Subset]
    /// `subsets[i].combined`, unretained: the hot path reads them once per line, and retaining and releasing a
    /// pattern there cost more than the match of an ordinary line (`subsets` keeps them alive).
    private let combinedRefs: [Unmanaged<Pattern>?]
    private let patternRefs: [Unmanaged<Pattern>]
    /// Used for the empty line.
    private let all: Int

    public init(_ patterns: [Pattern], strategy: Strategy = .marks) {
        self.patterns = patterns
        self.strategy = strategy
        var subsets = [Subset(members: [], combined: nil)]
        var known: [[Int]: Int] = [[]: 0]
        func subset(_ members: [Int]) -> Int {
            if let index = known[members] { return index }
            subsets.append(
                Subset(members: members, combined: Self.combine(members.map { ($0, patterns[$0]) }, strategy)))
            known[members] = subsets.count - 1
            return subsets.count - 1
        }
        var dispatch = [UInt8](repeating: 0, count: 256)
        for byte in 0...255 {
            let members = patterns.indices.filter { patterns[$0].mayMatch(startingWith: UInt8(byte)) }
            let index = subset(members)
            // More than 255 distinct subsets cannot happen for the sets Weft builds, but stay correct if it does.
            dispatch[byte] = index < 256 ? UInt8(index) : UInt8(subset(Array(patterns.indices)) & 0xFF)
        }
        all = subset(Array(patterns.indices))
        self.subsets = subsets
        self.dispatch = dispatch
        combinedRefs = subsets.map { $0.combined.map { Unmanaged.passUnretained($0) } }
        patternRefs = patterns.map { Unmanaged.passUnretained($0) }
    }

    private static func combine(_ members: [(Int, Pattern)], _ strategy: Strategy) -> Pattern? {
        guard members.count > 1, members.allSatisfy({ $0.1.highestBackReference == 0 }) else { return nil }
        let source =
            members
            .map { strategy == .marks ? "(*MARK:\($0.0))(?:\($0.1.source))" : "(?:\($0.1.source))" }
            .joined(separator: "|")
        return try? Pattern(source)
    }

    /// The index of the first pattern that matches `bytes`, or nil.
    @inline(__always)
    public func firstMatch(in bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        let index = bytes.isEmpty ? all : Int(dispatch[Int(bytes[0])])
        if index == 0 { return nil }
        if let combined = combinedRefs[index] {
            let outcome = combined._withUnsafeGuaranteedRef { matcher.match($0, in: bytes) }
            switch outcome {
            case .match(let mark):
                if strategy == .marks { return mark >= 0 ? mark : nil }
            case .noMatch, .limitExceeded:
                return nil
            }
        }
        return subsets[index].members.withUnsafeBufferPointer { members in
            for member in members {
                let hit = patternRefs[member]._withUnsafeGuaranteedRef { matcher.matches($0, in: bytes) }
                if hit { return member }
            }
            return nil
        }
    }

    public var isEmpty: Bool { patterns.isEmpty }
}
