import Foundation
import Testing
import WeftMultiline
import WeftTestSupport

@Suite struct RuleFileTests {
    static let parsersDirectory = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("Parsers")

    @Test func embeddedBuiltInsEqualTheParsersFolder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.parsersDirectory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(BuiltinParsers.sources.map(\.name) == files)
        for (name, text) in BuiltinParsers.sources {
            let onDisk = try String(contentsOf: Self.parsersDirectory.appendingPathComponent(name), encoding: .utf8)
            #expect(text + "\n" == onDisk || text == onDisk, "embedded \(name) differs from Parsers/\(name)")
        }
    }

    @Test func embeddedBuiltInsAreTheParsedFiles() throws {
        // The binary carries the files parsed at build time; parsing Parsers/ now must give the same rules.
        for (name, _) in BuiltinParsers.sources {
            let onDisk = try String(contentsOf: Self.parsersDirectory.appendingPathComponent(name), encoding: .utf8)
            let parsed = try RuleFile.parse(onDisk, origin: "built-in \(name)")
            #expect(BuiltinParsers.ruleFiles.contains(parsed), "embedded \(name) is not Parsers/\(name) as parsed now")
        }
        #expect(BuiltinParsers.ruleFiles.count == BuiltinParsers.sources.count)
    }

    @Test func builtInsCoverTheTenLanguages() throws {
        #expect(
            Set(BuiltinParsers.names).isSuperset(of: [
                "go", "java", "python", "ruby", "nodejs", "php", "dotnet", "rust", "perl", "dart",
            ]))
        _ = try ParserSet.make()
    }

    @Test func narrowingAndUnknownNames() throws {
        #expect(try ParserSet.make(builtIns: ["python", "java"]).names == ["python", "java"])
        #expect(throws: RuleFileError.self) { try ParserSet.make(builtIns: ["cobol"]) }
    }

    @Test(arguments: [
        ("name: x\nstates:\n  frames: []", "states", "a 'start' state"),
        (
            "name: x\nstates:\n  start:\n    - match: 'a'\n      next: nowhere", "states.start[0].next",
            "unknown state 'nowhere'"
        ),
        (
            "name: x\nstates:\n  start:\n    - match: 'a('\n      next: start", "states.start[0].match",
            "missing closing parenthesis"
        ),
        ("name: x\nstates:\n  start:\n    - match: '{{nope}}'\n      next: start", "states.start[0]", "unknown define"),
        ("name: x\nstates:\n  start:\n    - regex: 'a'\n      next: start", "states.start[0]", "unknown key regex"),
        ("states:\n  start: []", "name", "missing parser name"),
        ("name: x\nflavour: y\nstates: {}", "flavour", "unknown key"),
    ])
    func invalidFilesSayWhereAndWhat(text: String, location: String, message: String) {
        do {
            let file = try RuleFile.parse(text, origin: "my.yaml")
            _ = try ParserSet([file])
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.origin == "my.yaml")
            #expect(error.location == location)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func definesAreSubstituted() throws {
        let file = try RuleFile.parse(
            """
            name: x
            defines:
              word: '[a-z]+'
            states:
              start:
                - match: '^{{word}}: '
                  next: start
            """, origin: "t")
        #expect(file.states[0].rules[0].pattern == "^[a-z]+: ")
    }
}
