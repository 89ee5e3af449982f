import CPCRE2

/// The outcome of one match attempt.
public enum MatchOutcome: Equatable, Sendable {
    /// The pattern matched; `mark` is the last `(*MARK:name)` passed on the way, parsed as a number (-1 if none).
    case match(mark: Int)
    case noMatch
    /// The match gave up because it hit the configured limit (catastrophic backtracking). Treated as no match by
    /// callers, and counted.
    case limitExceeded
}

/// The per-thread scratch space for matching: match data, match limits and the JIT stack.
///
/// A `Matcher` is cheap to keep and expensive to create; make one per engine and reuse it for every line.
///
/// - Important: The limits bound the work a single match may do, so a user's pattern with catastrophic
///   backtracking (`(a+)+$` on a long line of `a`) costs a bounded time per line instead of hanging the process.
///   A pattern that hits the match limit once is put on probation (``Pattern/isOnProbation``): from then on it gets
///   the much smaller probation limit. Patterns that never hit the limit (every built-in rule on real input) keep the
///   full limit, so long lines still match as they should; a pathological pattern stops costing more than a few
///   microseconds per hopeless line, and the lines around it keep their speed.
public final class Matcher {
    /// Also lent to ``Pattern/cannotMatch(anySubjectStartingWith:using:)`` (prefix verdicts), so that a check
    /// allocates nothing.
    let matchData: OpaquePointer
    private let context: OpaquePointer
    private let probationContext: OpaquePointer
    private let jitStack: OpaquePointer?
    /// Number of matches that gave up (the match, depth or JIT stack limit) since this matcher was created.
    ///
    /// Exclusivity unchecked: otherwise access to it is checked at run time around every inlined match (a
    /// `swift_beginAccess` per line); a matcher belongs to one thread.
    @exclusivity(unchecked) public private(set) var limitHits = 0
    /// Lines that ``AlternationSet/firstMatch(in:using:)`` answered from ``PrefixVerdicts`` without matching.
    @exclusivity(unchecked) public private(set) var prefixVerdictHits = 0
    /// What this thread has learned about line prefixes (see ``AlternationSet``).
    let prefixVerdicts = PrefixVerdicts()

    /// - Parameters:
    ///   - matchLimit: PCRE2's match limit (backtracking steps) for one match attempt.
    ///   - probationLimit: the match limit for patterns on probation (capped at `matchLimit`).
    ///   - depthLimit: PCRE2's depth limit for the interpreter (the JIT is bounded by its stack size).
    public init(matchLimit: UInt32 = 200_000, probationLimit: UInt32 = 500, depthLimit: UInt32 = 10_000) {
        matchData = pcre2_match_data_create_8(1, nil)
        let stack = pcre2_jit_stack_create_8(32 * 1024, 512 * 1024, nil)
        jitStack = stack
        func makeContext(limit: UInt32) -> OpaquePointer {
            let context = pcre2_match_context_create_8(nil)!
            pcre2_set_match_limit_8(context, limit)
            pcre2_set_depth_limit_8(context, depthLimit)
            pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(stack))
            return context
        }
        context = makeContext(limit: matchLimit)
        probationContext = makeContext(limit: min(probationLimit, matchLimit))
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        pcre2_match_context_free_8(probationContext)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    @inline(__always)
    func countPrefixVerdictHit() { prefixVerdictHits &+= 1 }

    /// Matches `pattern` against `bytes` (the whole buffer is the subject; no terminator is needed).
    public func match(_ pattern: Pattern, in bytes: UnsafeRawBufferPointer) -> MatchOutcome {
        // PCRE2 accepts a null subject only with length 0 in recent versions; point empty subjects at a byte.
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return withUnsafeBytes(of: UInt8(0)) { match(pattern, subject: $0.baseAddress!, count: 0) }
        }
        return match(pattern, subject: base, count: bytes.count)
    }

    private func match(_ pattern: Pattern, subject raw: UnsafeRawPointer, count: Int) -> MatchOutcome {
        let subject = raw.assumingMemoryBound(to: UInt8.self)
        let bytesCount = count
        let rc: Int32
        let onProbation = pattern.isOnProbation
        let context = onProbation ? probationContext : context
        if pattern.isJITCompiled {
            rc = pcre2_jit_match_8(pattern.code, subject, bytesCount, 0, 0, matchData, context)
        } else {
            rc = pcre2_match_8(pattern.code, subject, bytesCount, 0, 0, matchData, context)
        }
        if rc >= 0 { return .match(mark: mark()) }
        if rc == errorNoMatch { return .noMatch }
        // Match, depth and JIT-stack limits, and any other failure (the subject is never invalid: the pattern
        // was compiled for invalid UTF), give up on this line only.
        limitHits += 1
        if !onProbation { pattern.putOnProbation() }
        return .limitExceeded
    }

    /// Whether `pattern` matches somewhere in `bytes`.
    public func matches(_ pattern: Pattern, in bytes: UnsafeRawBufferPointer) -> Bool {
        if case .match = match(pattern, in: bytes) { return true }
        return false
    }

    /// Convenience for tests and cold paths.
    public func matches(_ pattern: Pattern, _ text: String) -> Bool {
        var copy = Array(text.utf8)
        return copy.withUnsafeMutableBytes { matches(pattern, in: UnsafeRawBufferPointer($0)) }
    }

    private func mark() -> Int {
        guard let pointer = pcre2_get_mark_8(matchData) else { return -1 }
        var value = 0
        var index = 0
        while true {
            let byte = pointer[index]
            guard byte >= 0x30 && byte <= 0x39 else { break }
            value = value &* 10 &+ Int(byte &- 0x30)
            index += 1
        }
        return index == 0 ? -1 : value
    }

}

private let errorNoMatch: Int32 = -1

/// A small direct-mapped table of 8-byte line prefixes, per set: whether no line that starts with the prefix can
/// match any of the set's (anchored) patterns. Owned by a ``Matcher``, so by one thread.
final class PrefixVerdicts {
    enum State: UInt8 {
        case empty = 0
        /// Seen once; a line is checked only when its prefix comes back, so a stream of distinct prefixes costs
        /// nothing but the lookup.
        case seen
        /// No line starting with this prefix can match: the set answers without matching.
        case neverMatches
        /// Some line starting with it could match: match as usual, do not check again.
        case mayMatch
    }

    static let slotBits = 10
    private let keys: UnsafeMutablePointer<UInt64>
    private let owners: UnsafeMutablePointer<UInt32>
    private let states: UnsafeMutablePointer<UInt8>

    init() {
        let count = 1 << Self.slotBits
        keys = .allocate(capacity: count)
        keys.initialize(repeating: 0, count: count)
        owners = .allocate(capacity: count)
        owners.initialize(repeating: 0, count: count)
        states = .allocate(capacity: count)
        states.initialize(repeating: 0, count: count)
    }

    deinit {
        keys.deallocate()
        owners.deallocate()
        states.deallocate()
    }

    /// The slot for `prefix` in the set `owner`, and what is known there. An unknown prefix takes the slot (evicting
    /// whatever was there) as `seen`, and is reported as `empty`.
    @inline(__always)
    func lookUp(_ prefix: UInt64, owner: UInt32) -> (slot: Int, state: State) {
        let slot = Int(truncatingIfNeeded: ((prefix ^ UInt64(owner)) &* 0x9E37_79B9_7F4A_7C15) >> (64 - Self.slotBits))
        if keys[slot] == prefix && owners[slot] == owner {
            return (slot, State(rawValue: states[slot]) ?? .empty)
        }
        keys[slot] = prefix
        owners[slot] = owner
        states[slot] = State.seen.rawValue
        return (slot, .empty)
    }

    @inline(__always)
    func set(_ slot: Int, _ state: State) { states[slot] = state.rawValue }
}
