import Synchronization

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

    /// Some of the set's patterns, and how to ask them.
    struct Subset {
        /// Indices into `patterns`, in order.
        let members: [Int]
        /// Patterns that, between them, match exactly when some member does; empty when members must be tried one by
        /// one.
        let gates: [Pattern]
        let answer: Answer
        /// Whether some member is unanchored, and the gate (one of `gates`) that matches exactly when an unanchored
        /// member does, if there is one.
        var hasUnanchored = false
        var unanchoredGate: Pattern? = nil
    }

    /// How a subset turns a gate's hit into the member that matched.
    enum Answer: UInt8 {
        /// Try the members in order.
        case resolve
        /// The single gate's `(*MARK)` names the member.
        case mark
        /// The subset has one member, which is its gate.
        case only
    }

    /// What the hot path reads for one subset: all plain integers, so reading it retains nothing.
    struct Entry {
        var gateStart: Int32
        var gateCount: Int32
        var memberStart: Int32
        var memberCount: Int32
        var answer: Answer
        var hasUnanchored: Bool
        /// Index into `gateRefs`, or -1.
        var unanchoredGate: Int32
    }

    public let patterns: [Pattern]
    /// For each first byte, an index into `entries`; 0 means no pattern can match such a line.
    private let dispatch: [UInt16]
    /// Owns the gates (the hot path uses them unretained).
    private let subsets: [Subset]
    private let entries: [Entry]
    /// Every subset's gates and members, flattened, and the patterns unretained: retaining and releasing a pattern
    /// per line cost more than the match of an ordinary line (`subsets` and `patterns` keep them alive).
    private let gateRefs: [Unmanaged<Pattern>]
    private let memberIndices: [Int32]
    private let patternRefs: [Unmanaged<Pattern>]
    private let patternAnchored: [Bool]
    /// Used for the empty line.
    private let all: Int
    /// Whether lines' 8-byte prefixes may be remembered as never matching (see ``firstMatch(in:using:)``); nonzero
    /// is this set's id in the matcher's ``PrefixVerdicts``.
    private let prefixOwner: UInt32
    private static let nextPrefixOwner = Atomic<UInt32>(1)

    public init(_ patterns: [Pattern], strategy: Strategy = .marks) {
        self.patterns = patterns
        let cacheable = strategy == .rejectFirst && patterns.contains(where: \.isAnchored)
        prefixOwner = cacheable ? Self.nextPrefixOwner.wrappingAdd(1, ordering: .relaxed).oldValue : 0
        var subsets = [Subset(members: [], gates: [], answer: .resolve)]
        var known: [[Int]: Int] = [[]: 0]
        func subset(_ members: [Int]) -> Int {
            if let index = known[members] { return index }
            subsets.append(Self.subset(members.map { ($0, patterns[$0]) }, strategy))
            known[members] = subsets.count - 1
            return subsets.count - 1
        }
        var dispatch = [UInt16](repeating: 0, count: 256)
        for byte in 0...255 {
            let members = patterns.indices.filter { patterns[$0].mayMatch(startingWith: UInt8(byte)) }
            // 256 first bytes make at most 257 subsets (with the empty one), so the index always fits.
            dispatch[byte] = UInt16(subset(members))
        }
        all = subset(Array(patterns.indices))
        self.subsets = subsets
        self.dispatch = dispatch
        var gateRefs: [Unmanaged<Pattern>] = []
        var memberIndices: [Int32] = []
        entries = subsets.map { subset in
            defer {
                gateRefs += subset.gates.map { Unmanaged.passUnretained($0) }
                memberIndices += subset.members.map { Int32($0) }
            }
            let unanchoredGate = subset.unanchoredGate.flatMap { gate in subset.gates.firstIndex { $0 === gate } }
            return Entry(
                gateStart: Int32(gateRefs.count), gateCount: Int32(subset.gates.count),
                memberStart: Int32(memberIndices.count), memberCount: Int32(subset.members.count),
                answer: subset.answer, hasUnanchored: subset.hasUnanchored,
                unanchoredGate: unanchoredGate.map { Int32(gateRefs.count + $0) } ?? -1)
        }
        self.gateRefs = gateRefs
        self.memberIndices = memberIndices
        patternRefs = patterns.map { Unmanaged.passUnretained($0) }
        patternAnchored = patterns.map(\.isAnchored)
    }

    private static func subset(_ members: [(Int, Pattern)], _ strategy: Strategy) -> Subset {
        var subset = gatedSubset(members, strategy)
        let unanchored = members.filter { !$0.1.isAnchored }
        subset.hasUnanchored = !unanchored.isEmpty
        if unanchored.count == members.count {
            subset.unanchoredGate = subset.gates.count == 1 ? subset.gates[0] : nil
        } else if !unanchored.isEmpty && subset.gates.count == 2 {
            subset.unanchoredGate = subset.gates[1]
        }
        return subset
    }

    private static func gatedSubset(_ members: [(Int, Pattern)], _ strategy: Strategy) -> Subset {
        let indices = members.map(\.0)
        if members.count == 1 { return Subset(members: indices, gates: [members[0].1], answer: .only) }
        guard members.count > 1, members.allSatisfy({ $0.1.highestBackReference == 0 }) else {
            return Subset(members: indices, gates: [], answer: .resolve)
        }
        let anchored = members.filter { $0.1.isAnchored }
        if anchored.count == members.count || anchored.isEmpty {
            guard let gate = combine(members, marks: strategy == .marks) else {
                return Subset(members: indices, gates: [], answer: .resolve)
            }
            return Subset(members: indices, gates: [gate], answer: strategy == .marks ? .mark : .resolve)
        }
        let unanchored = members.filter { !$0.1.isAnchored }
        guard let first = anchored.count > 1 ? combine(anchored, marks: false) : anchored[0].1,
            let second = unanchored.count > 1 ? combine(unanchored, marks: false) : unanchored[0].1
        else {
            return Subset(members: indices, gates: [], answer: .resolve)
        }
        return Subset(members: indices, gates: [first, second], answer: .resolve)
    }

    private static func combine(_ members: [(Int, Pattern)], marks: Bool) -> Pattern? {
        let source =
            members
            .map { marks ? "(*MARK:\($0.0))(?:\($0.1.source))" : "(?:\($0.1.source))" }
            .joined(separator: "|")
        return try? Pattern(source)
    }

    /// The index of the first pattern that matches `bytes`, or nil.
    ///
    /// A `rejectFirst` set (the start rules) also remembers, per matcher, 8-byte ASCII line prefixes after which
    /// none of its anchored patterns can match: log lines repeat their beginnings (`2026-11-29T0`, `{"ts":"2`,
    /// `INFO htt`), and such a line is then answered by one table lookup instead of a PCRE2 match (plus the match
    /// of any unanchored pattern, which may match anywhere). A prefix is checked (a hard partial match of the 8
    /// bytes, once) the second time it is seen, so lines with ever-new beginnings cost only the lookup.
    @inline(__always)
    public func firstMatch(in bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        guard prefixOwner != 0, bytes.count >= 8 else { return search(bytes, using: matcher) }
        let prefix = bytes.loadUnaligned(as: UInt64.self)
        // ASCII only: a prefix must not end inside a multibyte character.
        guard prefix & 0x8080_8080_8080_8080 == 0 else { return search(bytes, using: matcher) }
        let verdicts = matcher.prefixVerdicts
        let (slot, state) = verdicts.lookUp(prefix, owner: prefixOwner)
        switch state {
        case .neverMatches:
            matcher.countPrefixVerdictHit()
            return searchUnanchored(bytes, using: matcher)
        case .empty, .mayMatch:
            return search(bytes, using: matcher)
        case .seen:
            let result = search(bytes, using: matcher)
            if let result, patternAnchored[result] {
                verdicts.set(slot, .mayMatch)
            } else {
                let head = UnsafeRawBufferPointer(rebasing: bytes[..<8])
                let entry = entries[Int(dispatch[Int(bytes[0])])]
                let members = memberIndices[Int(entry.memberStart)..<Int(entry.memberStart + entry.memberCount)]
                let never = members.allSatisfy {
                    !patternAnchored[Int($0)]
                        || patterns[Int($0)].cannotMatch(anySubjectStartingWith: head, using: matcher.matchData)
                }
                verdicts.set(slot, never ? .neverMatches : .mayMatch)
            }
            return result
        }
    }

    /// ``search(_:using:)`` for a line whose prefix no anchored member can continue: only the unanchored members
    /// (a user's rule that may match anywhere) are asked.
    private func searchUnanchored(_ bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        let entry = entries[Int(dispatch[Int(bytes[0])])]
        guard entry.hasUnanchored else { return nil }
        if entry.unanchoredGate >= 0 {
            let gate = gateRefs[Int(entry.unanchoredGate)]
            guard case .match = gate._withUnsafeGuaranteedRef({ matcher.match($0, in: bytes) }) else { return nil }
        }
        var member = Int(entry.memberStart)
        let membersEnd = member + Int(entry.memberCount)
        while member < membersEnd {
            let pattern = Int(memberIndices[member])
            if !patternAnchored[pattern],
                patternRefs[pattern]._withUnsafeGuaranteedRef({ matcher.matches($0, in: bytes) })
            {
                return pattern
            }
            member += 1
        }
        return nil
    }

    @inline(__always)
    private func search(_ bytes: UnsafeRawBufferPointer, using matcher: Matcher) -> Int? {
        let index = bytes.isEmpty ? all : Int(dispatch[Int(bytes[0])])
        if index == 0 { return nil }
        let entry = entries[index]
        if entry.gateCount > 0 {
            var hit = false
            var gate = Int(entry.gateStart)
            let gatesEnd = gate + Int(entry.gateCount)
            while gate < gatesEnd {
                let outcome = gateRefs[gate]._withUnsafeGuaranteedRef { matcher.match($0, in: bytes) }
                if case .match(let mark) = outcome {
                    switch entry.answer {
                    case .mark: return mark >= 0 ? mark : nil
                    case .only: return Int(memberIndices[Int(entry.memberStart)])
                    case .resolve: hit = true
                    }
                    break
                }
                gate += 1
            }
            if !hit { return nil }
        }
        var member = Int(entry.memberStart)
        let membersEnd = member + Int(entry.memberCount)
        while member < membersEnd {
            let pattern = Int(memberIndices[member])
            if patternRefs[pattern]._withUnsafeGuaranteedRef({ matcher.matches($0, in: bytes) }) { return pattern }
            member += 1
        }
        return nil
    }

    public var isEmpty: Bool { patterns.isEmpty }
}
