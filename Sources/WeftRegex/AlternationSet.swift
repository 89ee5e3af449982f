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
/// one is matched one pattern at a time. Unanchored patterns (a user's rule that may match anywhere in the line) are
/// kept out of the anchored patterns' alternation: in one alternation with them, every anchored alternative would be
/// tried again at every position of every line. Such a subset asks the anchored alternation and then the unanchored
/// patterns whether any matches (reject first), and finds which one only when one does.
public final class AlternationSet {
    public enum Strategy: Sendable {
        case marks
        case rejectFirst
    }

    /// Some of the set's patterns, and their combination.
    struct Subset {
        /// Indices into `patterns`, in order.
        let members: [Int]
        /// Patterns that, between them, match exactly when some member does; empty when members must be tried one by
        /// one. With `marks`, a single gate (the alternation of every member) also tells which member matched.
        let gates: [Pattern]
        /// Whether the gate's `(*MARK)` names the member (else a hit is resolved by trying the members in order).
        let gateMarks: Bool
    }

    public let patterns: [Pattern]
    private let strategy: Strategy
    /// For each first byte, an index into `subsets`; 0 means no pattern can match such a line.
    private let dispatch: [UInt8]
    private let subsets: [Subset]
    /// `subsets[i].gates`, unretained: the hot path reads them once per line, and retaining and releasing a
    /// pattern there cost more than the match of an ordinary line (`subsets` keeps them alive).
    private let gateRefs: [Unmanaged<Pattern>]
    /// For each subset, where its gates are in `gateRefs`, how many, and whether `gateMarks`.
    private let gateRanges: [(start: Int32, count: Int32, marks: Bool)]
    private let patternRefs: [Unmanaged<Pattern>]
    /// Used for the empty line.
    private let all: Int

    public init(_ patterns: [Pattern], strategy: Strategy = .marks) {
        self.patterns = patterns
        self.strategy = strategy
        var subsets = [Subset(members: [], gates: [], gateMarks: false)]
        var known: [[Int]: Int] = [[]: 0]
        func subset(_ members: [Int]) -> Int {
            if let index = known[members] { return index }
            subsets.append(Self.subset(members.map { ($0, patterns[$0]) }, strategy))
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
        var gateRefs: [Unmanaged<Pattern>] = []
        var gateRanges: [(start: Int32, count: Int32, marks: Bool)] = []
        for subset in subsets {
            gateRanges.append((Int32(gateRefs.count), Int32(subset.gates.count), subset.gateMarks))
            gateRefs += subset.gates.map { Unmanaged.passUnretained($0) }
        }
        self.gateRefs = gateRefs
        self.gateRanges = gateRanges
        patternRefs = patterns.map { Unmanaged.passUnretained($0) }
    }

    private static func subset(_ members: [(Int, Pattern)], _ strategy: Strategy) -> Subset {
        let indices = members.map(\.0)
        guard members.count > 1, members.allSatisfy({ $0.1.highestBackReference == 0 }) else {
            return Subset(members: indices, gates: [], gateMarks: false)
        }
        let anchored = members.filter { $0.1.isAnchored }
        if anchored.count == members.count || anchored.isEmpty {
            let gate = combine(members, marks: strategy == .marks)
            return Subset(
                members: indices, gates: gate.map { [$0] } ?? [], gateMarks: gate != nil && strategy == .marks)
        }
        let unanchored = members.filter { !$0.1.isAnchored }
        let gates = [
            anchored.count > 1 ? combine(anchored, marks: false) : anchored[0].1,
            unanchored.count > 1 ? combine(unanchored, marks: false) : unanchored[0].1,
        ]
        guard let first = gates[0], let second = gates[1] else {
            return Subset(members: indices, gates: [], gateMarks: false)
        }
        return Subset(members: indices, gates: [first, second], gateMarks: false)
    }

    private static func combine(_ members: [(Int, Pattern)], marks: Bool) -> Pattern? {
        let source =
            members
            .map { marks ? "(*MARK:\($0.0))(?:\($0.1.source))" : "(?:\($0.1.source))" }
            .joined(separator: "|")
        return try? Pattern(source)
    }

    /// The index of the first pattern that matches `bytes`, or nil.
    @inline(__always)
    public func firstMatch(in bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        let index = bytes.isEmpty ? all : Int(dispatch[Int(bytes[0])])
        if index == 0 { return nil }
        let gates = gateRanges[index]
        if gates.count > 0 {
            var hit = false
            for gate in Int(gates.start)..<Int(gates.start + gates.count) where !hit {
                let outcome = gateRefs[gate]._withUnsafeGuaranteedRef { matcher.match($0, in: bytes) }
                if case .match(let mark) = outcome {
                    if gates.marks { return mark >= 0 ? mark : nil }
                    hit = true
                }
            }
            if !hit { return nil }
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
