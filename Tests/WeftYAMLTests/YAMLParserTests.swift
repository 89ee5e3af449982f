import Testing
import WeftYAML

/// The libyaml binding: nodes keep their places, scalars keep how they were written, errors say where, and the
/// bounds for untrusted input hold.
@Suite struct YAMLParserTests {
    func parse(_ text: String, limits: YAMLParser.Limits = .init()) throws(YAMLError) -> YAMLNode? {
        try YAMLParser(limits: limits).parse(text)
    }

    func error(_ text: String, limits: YAMLParser.Limits = .init()) -> YAMLError? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func nodesKeepTheirLinesAndColumns() throws {
        let root = try #require(
            try parse("state_dir: /s\nsources:\n  - name: a\n    paths: [x, 'y']\n# end\n"))
        let mapping = try #require(root.mapping)
        #expect(root.mark == YAMLMark(line: 1, column: 1))
        #expect(mapping.keys.map(\.string) == ["state_dir", "sources"])
        #expect(mapping.keys.map(\.mark) == [YAMLMark(line: 1, column: 1), YAMLMark(line: 2, column: 1)])
        #expect(mapping["state_dir"]?.mark == YAMLMark(line: 1, column: 12))
        let source = try #require(mapping["sources"]?.sequence?.first)
        #expect(source.mark == YAMLMark(line: 3, column: 5))
        let paths = try #require(source.mapping?["paths"]?.sequence)
        #expect(paths.map(\.string) == ["x", "y"])
        #expect(paths.map(\.mark) == [YAMLMark(line: 4, column: 13), YAMLMark(line: 4, column: 16)])
        #expect(paths.map { $0.scalar?.style } == [.plain, .singleQuoted])
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try #require(try parse("é€: x\n"))
        #expect(root.mapping?["é€"]?.mark == YAMLMark(line: 1, column: 5))
    }

    @Test func plainBooleansAndNullsButNotQuotedOnes() throws {
        let root = try #require(
            try parse(
                """
                a: true
                b: 'true'
                c: No
                d: !!str yes
                e: !!bool on
                f:
                g: ''
                h: ~
                i: "null"
                j: |
                  two
                  lines
                """))
        let map = try #require(root.mapping)
        #expect(map["a"]?.bool == true)
        #expect(map["b"]?.bool == nil)
        #expect(map["b"]?.string == "true")
        #expect(map["c"]?.bool == false)
        #expect(map["d"]?.bool == nil)
        #expect(map["d"]?.tag == "tag:yaml.org,2002:str")
        #expect(map["e"]?.bool == true)
        #expect(map["f"]?.isNull == true)
        #expect(map["g"]?.isNull == false)
        #expect(map["g"]?.string == "")
        #expect(map["h"]?.isNull == true)
        #expect(map["i"]?.isNull == false)
        #expect(map["j"]?.scalar == YAMLScalar("two\nlines", style: .literal))
        #expect(map["missing"] == nil)
    }

    @Test func emptyTextHasNoDocument() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# only a comment\n") == nil)
    }

    @Test func syntaxErrorsSayWhereInLibyamlsWords() throws {
        let found = try #require(error("state_dir: /s\nsources:\n  - name: a\n   paths: [x\n"))
        #expect(found.kind == .syntax)
        #expect(found.mark.line == 4)
        #expect(!found.problem.isEmpty)
        #expect(found.description.hasPrefix("line 4, column "))

        let unclosed = try #require(error("a: 'open\n"))
        #expect(unclosed.kind == .syntax)
        #expect(unclosed.problem == "found unexpected end of stream")
        #expect(unclosed.context == "while scanning a quoted scalar")
        #expect(unclosed.contextMark == YAMLMark(line: 1, column: 4))
    }

    @Test func controlCharactersAreRefusedWithTheirPlace() throws {
        let found = try #require(error("a: b\nc: d\u{1}\n"))
        #expect(found.kind == .syntax)
        #expect(found.problem == "control characters are not allowed")
        #expect(found.mark == YAMLMark(line: 2, column: 5))
    }

    @Test func aliasesAreCopiesOfTheirAnchor() throws {
        let root = try #require(try parse("base: &b {x: 1}\nagain: *b\n"))
        let map = try #require(root.mapping)
        #expect(map["again"] == map["base"])
        #expect(map["again"]?.mapping?["x"]?.string == "1")
    }

    @Test func undefinedAndCyclicAliasesAreErrors() throws {
        let undefined = try #require(error("a: *nowhere\n"))
        #expect(undefined.kind == .structure)
        #expect(undefined.problem == "found undefined alias 'nowhere'")
        #expect(undefined.mark == YAMLMark(line: 1, column: 4))
        // The anchor's node is not complete when the alias inside it is read.
        #expect(error("a: &loop [*loop]\n")?.problem == "found undefined alias 'loop'")
    }

    @Test func aliasBombsStopAtTheNodeLimit() throws {
        // "Billion laughs": each level repeats the one before ten times, 10^10 strings at the last.
        var text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            text += "l\(level): &l\(level) [\(previous)]\n"
        }
        let found = try #require(error(text))
        #expect(found.kind == .limit)
        #expect(found.problem == "more than 100000 nodes (aliases count as the nodes they repeat)")
        #expect(found.mark.line == 5)
        // An alias is counted, not copied: without the limit the same document parses at once (the copies share
        // their storage), so it is the limit that refuses it.
        let root = try #require(try parse(text, limits: .init(maxNodes: .max)))
        #expect(root.mapping?["l9"]?.sequence?.first?.sequence?.count == 10)
    }

    @Test func nestingDeeperThanTheLimitIsRefused() throws {
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try parse(allowed) != nil)
        let deeper = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let found = try #require(error(deeper))
        #expect(found.kind == .limit)
        #expect(found.problem == "nested deeper than 64 levels")
        #expect(found.mark == YAMLMark(line: 1, column: 65))
        // Block nesting counts the same.
        var block = ""
        for level in 0..<4 { block += String(repeating: "  ", count: level) + "k\(level):\n" }
        #expect(error(block + "        v: 1\n", limits: .init(maxDepth: 4))?.problem == "nested deeper than 4 levels")
        #expect(error(block + "        v: 1\n", limits: .init(maxDepth: 5)) == nil)
    }

    @Test func textLargerThanTheLimitIsRefusedUnread() throws {
        let found = try #require(error("a: 12345\n", limits: .init(maxBytes: 8)))
        #expect(found.kind == .limit)
        #expect(found.problem == "the document is 9 bytes, more than the limit of 8")
    }

    @Test func repeatedKeysAreErrorsAtTheSecond() throws {
        let found = try #require(error("a: 1\nb: 2\na: 3\n"))
        #expect(found.kind == .structure)
        #expect(found.problem == "duplicate key 'a' (first at line 1, column 1)")
        #expect(found.mark == YAMLMark(line: 3, column: 1))
    }

    @Test func onlyOneDocument() throws {
        let found = try #require(error("a: 1\n---\nb: 2\n"))
        #expect(found.kind == .structure)
        #expect(found.problem == "expected a single document, but found another document")
        #expect(found.mark == YAMLMark(line: 2, column: 1))
        #expect(try parse("---\na: 1\n...\n")?.mapping?["a"]?.string == "1")
    }
}
