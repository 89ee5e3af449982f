import ArgumentParser
import FoundationEssentials
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftOutput
import WeftPipeline
import WeftSamples

/// Reads and parses one rule file; a file that cannot be read is reported as `given` (the option or argument) and
/// its path.
func loadRuleFile(_ path: String, given: String) throws -> (file: RuleFile, text: String) {
    let text: String
    do {
        text = try readTextFile(path)
    } catch {
        throw ValidationError("\(given) \(path): \(error)")
    }
    return (try RuleFile.parse(text, origin: path), text)
}

/// `weft parsers`: see the parsers and test rule files against samples.
struct Parsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and test parsers (rule files).",
        subcommands: [List.self, Show.self, Test.self]
    )

    struct Files: ParsableArguments {
        @Option(name: .customLong("parsers-file"), help: "A rule file of your own (repeatable).")
        var parsersFiles: [String] = []

        func load() throws -> [(file: RuleFile, text: String)] {
            try parsersFiles.map { try loadRuleFile($0, given: "--parsers-file") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List built-in parsers and loaded rule files.")
        @OptionGroup var files: Files

        func run() throws {
            let all =
                BuiltinParsers.ruleFiles.map { ($0, "built-in") } + (try files.load()).map { ($0.file, $0.file.origin) }
            let width = all.map(\.0.name.count).max() ?? 0
            for (file, origin) in all {
                let padded = file.name + String(repeating: " ", count: width - file.name.count)
                print("\(padded)  \(summaryLine(file.description))  [\(origin)]")
            }
        }

        private func summaryLine(_ description: String) -> String {
            let first = description.split(separator: ":", maxSplits: 1).first.map(String.init) ?? description
            return first.count > 70 ? String(first.prefix(67)) + "..." : first
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a parser's rule file.")
        @OptionGroup var files: Files
        @Argument(help: "The parser's name.") var name: String

        func run() throws {
            if let loaded = try files.load().first(where: { $0.file.name == name }) {
                print(loaded.text, terminator: loaded.text.hasSuffix("\n") ? "" : "\n")
                return
            }
            guard let builtIn = BuiltinParsers.sources.first(where: { $0.name == name + ".yaml" }) else {
                let known = BuiltinParsers.names.joined(separator: ", ")
                throw ValidationError("no parser named '\(name)' (built-ins: \(known); add yours with --parsers-file)")
            }
            print(builtIn.text)
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a sample through a rule file and compare the records with an expectation.",
            discussion: """
                Without --expect, prints the records as the expectation format, one JSON object per record: \
                {"parser": "name" or null, "body": "..."}. Review it, save it, and keep it next to your rule file: \
                `weft parsers test my.yaml sample.log --expect sample.expected.jsonl` exits 1 and shows the first \
                difference when the rules no longer merge the sample that way.
                """
        )

        @Argument(help: "The rule file to test.") var rules: String
        @Argument(help: "A sample log (plain, Docker or CRI).") var sample: String
        @Option(help: "Expected records (JSON lines of {parser, body}).") var expect: String?
        @Flag(help: "Run the built-in parsers too (tried before the rule file).") var withBuiltins = false
        @Option(help: "Input format, as for the filter (auto, docker, cri, plain, kubectl, …).") var format: LogFormat =
            .auto

        func run() throws {
            let file = try loadRuleFile(rules, given: "rule file").file
            let parsers = try ParserSet.make(builtIns: withBuiltins ? nil : [], extra: [file])
            let records = SampleRun.records(
                of: try readFileBytes(sample), parsers: parsers, format: format, path: sample)
            guard let expect else {
                for record in records { print(record.jsonLine) }
                return
            }
            let expected = try Self.readExpectation(expect)
            guard let index = SampleRun.firstDifference(records, expected) else {
                print("ok: \(expected.count) records match \(expect)")
                return
            }
            var report = "\(sample): records differ from \(expect) at record \(index + 1)"
            report += " (\(records.count) records, \(expected.count) expected)\n"
            report += "  want: \(index < expected.count ? expected[index].jsonLine : "(no more records)")\n"
            report += "   got: \(index < records.count ? records[index].jsonLine : "(no more records)")\n"
            writeStandardError(report)
            throw ExitCode(1)
        }

        static func readExpectation(_ path: String) throws -> [ExpectedRecord] {
            let decoder = JSONDecoder()
            var records: [ExpectedRecord] = []
            for (number, line) in try readTextFile(path).split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated() where !line.isEmpty
            {
                do {
                    records.append(try decoder.decode(ExpectedRecord.self, from: Data(line.utf8)))
                } catch {
                    throw ValidationError("\(path):\(number + 1): not a {\"parser\", \"body\"} JSON object: \(error)")
                }
            }
            return records
        }
    }
}
