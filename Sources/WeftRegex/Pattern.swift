import CPCRE2
import Synchronization

/// A PCRE2 regular expression, compiled once (with JIT where the platform has it) and matched on raw bytes.
///
/// Patterns are compiled in UTF mode with `PCRE2_MATCH_INVALID_UTF`, so a line that is not valid UTF-8 is matched
/// safely: invalid sequences simply never match a character class, and matching never reads outside the line.
///
/// `\d`, `\w`, `\s` and the POSIX classes match ASCII only, as in PCRE2's default and in Go's RE2; `.`, `\S` and
/// negated classes still match any character. Unicode-aware classes (`PCRE2_UCP`) cost a property lookup per
/// character, which made the start rules 40% slower on every ordinary line (callgrind: 144 M → 87 M instructions
/// in PCRE2 on 20 MB); a pattern that needs them starts with `(*UCP)`.
///
/// A compiled pattern can be shared between threads; the scratch memory a match needs lives in a ``Matcher``, which
/// each thread owns. The one thing about a pattern that changes after it is compiled is whether it is on probation
/// (``isOnProbation``), and that is shared on purpose: a rule found catastrophic by one matcher gets the small limit
/// from every matcher.
///
/// ```swift
/// let traceback = try Pattern(#"^Traceback \(most recent call last\):$"#)
/// let matcher = Matcher()
/// let hit = Array(line.utf8).withUnsafeBytes { matcher.matches(traceback, in: $0) }  // or match(_:in:) for the mark
/// ```
public final class Pattern: @unchecked Sendable {
    // @unchecked because `code` is a raw pointer. Sharing is safe: `code` and the other `let`s are set once in init;
    // PCRE2 documents compiled code, JIT code included, as read-only while matching and safe to match from many
    // threads at once (each with its own match data and JIT stack, which live in `Matcher`). The only state that
    // changes afterwards is `probation`, an atomic that goes from false to true once (relaxed: a matcher that reads
    // a stale false spends the full limit on one more line, nothing worse).
    let code: OpaquePointer
    /// The pattern as written.
    public let source: String
    /// Whether the JIT compiled this pattern; when it did not, matching uses the interpreter.
    public let isJITCompiled: Bool
    /// Whether every match must start at the beginning of the subject (`^` at the front of every alternative).
    public let isAnchored: Bool
    /// Set the first time a match of this pattern hits a ``Matcher``'s match limit (see ``Matcher``).
    private let probation = Atomic<Bool>(false)

    /// Compiles `source`.
    ///
    /// - Throws: ``PatternError`` with the PCRE2 message and the offset of the error in the pattern.
    public init(_ source: String, caseInsensitive: Bool = false) throws(PatternError) {
        var options: UInt32 = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF
        if caseInsensitive { options |= PCRE2_CASELESS }
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled: OpaquePointer? =
            source.utf8.withContiguousStorageIfAvailable { utf8 in
                pcre2_compile_8(utf8.baseAddress, utf8.count, options, &errorCode, &errorOffset, nil)
            }
            ?? {
                var copy = Array(source.utf8)
                return pcre2_compile_8(&copy, copy.count, options, &errorCode, &errorOffset, nil)
            }()
        guard let compiled else {
            throw PatternError(pattern: source, offset: errorOffset, message: Self.message(for: errorCode))
        }
        code = compiled
        self.source = source
        isJITCompiled = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
        var allOptions: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_ALLOPTIONS), &allOptions)
        isAnchored = allOptions & PCRE2_ANCHORED != 0
    }

    deinit { pcre2_code_free_8(code) }

    /// Whether a match of this pattern has hit the match limit (catastrophic backtracking): from then on matchers give
    /// it their smaller probation limit.
    public var isOnProbation: Bool { probation.load(ordering: .relaxed) }

    func putOnProbation() { probation.store(true, ordering: .relaxed) }

    /// The highest back reference number used in the pattern (0 when it uses none).
    public var highestBackReference: Int {
        var value: UInt32 = 0
        _ = pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_BACKREFMAX), &value)
        return Int(value)
    }

    /// Whether a subject whose first byte is `byte` could match (asked once per byte when a set is built).
    ///
    /// Answered by PCRE2 itself: a hard partial match of the one-byte subject succeeds or reports "partial" exactly
    /// when some longer subject starting with that byte could match. Only meaningful for anchored patterns; bytes
    /// that start multi-byte UTF-8 sequences are always possible.
    public func mayMatch(startingWith byte: UInt8) -> Bool {
        guard isAnchored, byte < 0x80 else { return true }
        let data = pcre2_match_data_create_8(1, nil)
        defer { pcre2_match_data_free_8(data) }
        var subject = byte
        let rc = pcre2_match_8(code, &subject, 1, 0, PCRE2_PARTIAL_HARD | PCRE2_NO_JIT, data, nil)
        return rc >= 0 || rc == -2  // PCRE2_ERROR_PARTIAL
    }

    /// Whether no subject that starts with `prefix` can match (anchored patterns only; false when unsure).
    ///
    /// A hard partial match of the prefix alone answers it: PCRE2 reports "no match" only when every way of matching
    /// failed before the end of the prefix, so nothing written after it could change that.
    func cannotMatch(anySubjectStartingWith prefix: UnsafeRawBufferPointer, using matchData: OpaquePointer) -> Bool {
        guard isAnchored, let base = prefix.baseAddress else { return false }
        let rc = pcre2_match_8(
            code, base.assumingMemoryBound(to: UInt8.self), prefix.count, 0, PCRE2_PARTIAL_HARD | PCRE2_NO_JIT,
            matchData, nil)
        return rc == -1  // PCRE2_ERROR_NOMATCH
    }

    static func message(for errorCode: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(Int32(errorCode), &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(errorCode)" }
        return String(decoding: buffer[..<Int(length)], as: UTF8.self)
    }
}

/// A pattern that could not be compiled: which one, where, and what PCRE2 said.
public struct PatternError: Error, CustomStringConvertible, Equatable {
    public let pattern: String
    /// Offset in the pattern's UTF-8 bytes where PCRE2 detected the error.
    public let offset: Int
    public let message: String

    public var description: String { "invalid regex /\(pattern)/ at offset \(offset): \(message)" }
}
