import WeftRegex

/// Rule files compiled for matching: every regex compiled once, each state's rules combined into one alternation,
/// and the start rules of all parsers combined into one, so a line outside any trace costs a single JIT match.
///
/// Built once and shared by every engine. Its structure never changes; the only state that does is each pattern's
/// probation flag (see ``WeftRegex/Pattern/isOnProbation``), which is shared on purpose. What matching a line writes
/// (match data, JIT stack, prefix verdicts, counters) lives in each engine's own ``WeftRegex/Matcher``.
public final class ParserSet: @unchecked Sendable {
    // @unchecked because AlternationSet is not Sendable (it holds unretained pattern references for the hot path).
    // Sharing is still safe: every stored property here is a `let`, and an AlternationSet's are too, so nothing is
    // written after init except inside a Pattern, whose probation flag is an atomic (see Pattern's note). Matching
    // writes only to the caller's Matcher, which is not Sendable and so stays with one engine.

    struct State {
        let name: String
        let rules: AlternationSet
        let next: [Int32]
        let tentative: [Bool]
        let takesHeader: [Bool]
        let weak: [Bool]
    }

    struct Parser {
        let file: RuleFile
        let header: AlternationSet
    }

    let parsers: [Parser]
    /// Every parser's states in one array, parser after parser: a record's state is `stateBase[parser] + state`.
    let states: [State]
    /// Where each parser's states begin in ``states``.
    let stateBase: [Int32]
    /// Every parser's start rules, in parser order then rule order.
    let startRules: AlternationSet
    /// For each start rule: which parser, which rule of its start state.
    let startIndex: [(parser: Int32, rule: Int32)]
    /// The `start` state of each parser (a state number within the parser, as records keep it).
    let startState: [Int32]
    /// Every parser's header patterns: a held line matching one may gather indented lines (a logger's multi-line
    /// message) while it waits for the trace it may introduce.
    let anyHeader: AlternationSet

    /// The index in ``states`` of `state` of `parser`.
    @inline(__always)
    func flatIndex(parser: Int32, state: Int32) -> Int { Int(stateBase[Int(parser)] &+ state) }

    /// `parser.state`, for explanations.
    func stateName(parser: Int32, state: Int32) -> String {
        "\(parsers[Int(parser)].file.name).\(states[flatIndex(parser: parser, state: state)].name)"
    }

    /// The parsers' names, in priority order.
    public var names: [String] { parsers.map(\.file.name) }

    /// Compiles `files`. Earlier files win when two start rules match the same line.
    ///
    /// - Throws: ``RuleFileError`` naming the file and rule whose regex does not compile, or a duplicate name.
    public init(_ files: [RuleFile]) throws(RuleFileError) {
        var parsers: [Parser] = []
        var allStates: [State] = []
        var stateBase: [Int32] = []
        var startPatterns: [Pattern] = []
        var startIndex: [(Int32, Int32)] = []
        var startState: [Int32] = []
        var allHeaders: [Pattern] = []
        for (parserIndex, file) in files.enumerated() {
            if files[..<parserIndex].contains(where: { $0.name == file.name }) {
                throw RuleFileError(
                    origin: file.origin, location: "name", message: "parser '\(file.name)' is already loaded")
            }
            func compile(_ source: String, at location: String) throws(RuleFileError) -> Pattern {
                do {
                    return try Pattern(source)
                } catch {
                    throw RuleFileError(origin: file.origin, location: location, message: error.description)
                }
            }
            var states: [State] = []
            for state in file.states {
                var patterns: [Pattern] = []
                for (index, rule) in state.rules.enumerated() {
                    patterns.append(try compile(rule.pattern, at: "states.\(state.name)[\(index)].match"))
                }
                let next = state.rules.map { rule in
                    Int32(file.states.firstIndex(where: { $0.name == rule.next })!)
                }
                states.append(
                    State(
                        name: state.name, rules: AlternationSet(patterns), next: next,
                        tentative: state.rules.map(\.tentative), takesHeader: state.rules.map(\.takesHeader),
                        weak: state.rules.map(\.weak)))
            }
            var header: [Pattern] = []
            for (index, source) in file.header.enumerated() {
                header.append(try compile(source, at: "header[\(index)]"))
            }
            allHeaders += header
            let start = Int32(file.states.firstIndex(where: { $0.name == "start" })!)
            startState.append(start)
            for (index, pattern) in states[Int(start)].rules.patterns.enumerated() {
                startPatterns.append(pattern)
                startIndex.append((Int32(parserIndex), Int32(index)))
            }
            parsers.append(Parser(file: file, header: AlternationSet(header)))
            stateBase.append(Int32(allStates.count))
            allStates += states
        }
        self.parsers = parsers
        self.states = allStates
        self.stateBase = stateBase
        self.startRules = AlternationSet(startPatterns, strategy: .rejectFirst)
        self.startIndex = startIndex
        self.startState = startState
        self.anyHeader = AlternationSet(allHeaders, strategy: .rejectFirst)
    }
}
