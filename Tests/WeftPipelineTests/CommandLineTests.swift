import Foundation
import Testing
import WeftPipeline

/// The `weft` binary itself, run as a user would (it is built next to the test bundle by `swift build --build-tests`).
@Suite struct CommandLineTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("weft")

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func weft(_ arguments: [String], stdin: String = "") throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-cli-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "run `swift build --build-tests` first")
    }

    @Test func stdinFilterWritesJSONLines() throws {
        let run = try weft(
            [],
            stdin: "hello\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: x\n")
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        let attributes = second["attributes"] as! [String: Any]
        #expect(attributes["weft.parser"] as? String == "python")
        #expect(attributes["weft.lines"] as? Int == 3)
        #expect(attributes["weft.flush_reason"] as? String == "end_of_input")
    }

    let rules = """
        name: myapp
        description: MyApp errors
        states:
          start:
            - match: '^MyAppError: '
              next: details
          details:
            - match: '^  \\| '
              next: details
        """
    let sample = "boot\nMyAppError: disk full\n  | volume: /data\n  | free: 0\nnext\n"

    @Test func parsersTestPassesAndFailsOnADifference() throws {
        let rulesPath = try temporaryFile("myapp.yaml", rules)
        let samplePath = try temporaryFile("sample.log", sample)
        // Without --expect: the records, in the expectation format.
        let printed = try weft(["parsers", "test", rulesPath, samplePath])
        #expect(printed.status == 0)
        #expect(
            printed.stdout == """
                {"parser":null,"body":"boot"}
                {"parser":"myapp","body":"MyAppError: disk full\\n  | volume: /data\\n  | free: 0"}
                {"parser":null,"body":"next"}

                """)
        let good = try temporaryFile("good.jsonl", printed.stdout)
        let pass = try weft(["parsers", "test", rulesPath, samplePath, "--expect", good])
        #expect(pass.status == 0)
        #expect(pass.stdout.contains("ok: 3 records match"))

        let bad = try temporaryFile("bad.jsonl", printed.stdout.replacing("  | free: 0", with: "  | free: 1"))
        let fail = try weft(["parsers", "test", rulesPath, samplePath, "--expect", bad])
        #expect(fail.status == 1)
        #expect(fail.stderr.contains("at record 2"))
        #expect(fail.stderr.contains("free: 1"))
    }

    @Test func parsersListAndShow() throws {
        let list = try weft(["parsers", "list"])
        #expect(list.status == 0)
        for name in ["go", "java", "python", "ruby"] {
            #expect(list.stdout.contains("\n\(name) ") || list.stdout.hasPrefix("\(name) "), "\(name) missing")
        }
        let show = try weft(["parsers", "show", "python"])
        #expect(show.stdout.contains("name: python"))
        let unknown = try weft(["parsers", "show", "cobol"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no parser named 'cobol'"))
    }

    @Test func badRuleFileIsAPreciseError() throws {
        let path = try temporaryFile(
            "broken.yaml", "name: x\nstates:\n  start:\n    - match: 'a('\n      next: start\n")
        let run = try weft(["--parsers-file", path], stdin: "x\n")
        #expect(run.status != 0)
        #expect(run.stderr.contains("broken.yaml: states.start[0].match"))
    }

    @Test func missingFileIsAPreciseError() throws {
        let run = try weft(["/nonexistent/app.log"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cannot open /nonexistent/app.log: No such file or directory"))
    }

    @Test func filesAreReadInOrderAsTheirOwnSources() throws {
        let first = try temporaryFile("first.log", "java.lang.IllegalStateException: boom\n")
        let second = try temporaryFile("second.log", "\tat App.main(App.java:5)\n")
        let run = try weft(["--output-format", "body", first, second])
        #expect(run.status == 0)
        // A trace never continues from one file into the next: each file is its own source.
        #expect(run.stdout == "java.lang.IllegalStateException: boom\n\tat App.main(App.java:5)\n")
        let records = try weft([first, second]).stdout.split(separator: "\n")
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.contains("\"log.file.path\":\"") })
    }

    @Test func replaySummaryAndDeterminism() throws {
        let capture = Fixtures.samples.appendingPathComponent("python/rendered/tracebacks.docker.log").path
        let first = try weft(["replay", capture])
        let second = try weft(["replay", capture, "--no-summary"])
        #expect(first.status == 0)
        #expect(first.stdout == second.stdout)
        #expect(first.stderr.contains("by parser: "))
        #expect(first.stderr.contains("time span: 2026-11-29T05:00:00"))
        #expect(second.stderr.isEmpty)
    }
}
