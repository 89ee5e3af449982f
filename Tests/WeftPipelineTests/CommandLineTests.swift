import Foundation
import Testing
import WeftPipeline
import WeftSamples

/// The `weft` binary itself, run as a user would (it is built next to the test bundle by `swift build --build-tests`).
@Suite struct CommandLineTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("weft")

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `weft` with `arguments`, feeding it `stdin`, and waits for it.
    ///
    /// Its stdin is written, and its stderr read, on threads of their own while this one reads its stdout: done one
    /// after the other, a child that fills one pipe (64 KiB) while the test waits on another never finishes. A child
    /// still running after `timeout` seconds is killed, so a test that would hang fails instead.
    func weft(_ arguments: [String], stdin: String = "", timeout: Int = 60) throws -> Run {
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

        /// What the stderr thread read; written before `group.leave()`, read after `group.wait()`.
        final class Collected: @unchecked Sendable { var data = Data() }
        let errors = Collected()
        let group = DispatchGroup()
        let stdinData = Data(stdin.utf8)
        let stdinHandle = input.fileHandleForWriting
        group.enter()
        Thread {
            // A child that exits without reading all of its input (an error) makes the write fail with EPIPE; the
            // SIGPIPE that comes with it would kill the test process, so this thread blocks it (a signal pending on
            // it is dropped when the thread ends).
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            if !stdinData.isEmpty { try? stdinHandle.write(contentsOf: stdinData) }
            try? stdinHandle.close()
            group.leave()
        }.start()
        let stderrHandle = error.fileHandleForReading
        DispatchQueue.global().async(group: group) { errors.data = stderrHandle.readDataToEndOfFile() }
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeout), execute: watchdog)

        let out = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        #expect(process.terminationReason == .exit, "weft \(arguments) did not exit (killed after \(timeout) s?)")
        return Run(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: errors.data, as: UTF8.self))
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

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsNameEveryCommand(shell: String) throws {
        let run = try weft(["completions", shell])
        #expect(run.status == 0)
        for word in ["tail", "run", "replay", "parsers", "state-dir", "otlp-endpoint", "burst-window"] {
            #expect(run.stdout.contains(word), "\(shell): \(word) missing")
        }
    }

    /// The documented exit codes: 0 ok, 1 a runtime error, 2 a usage error (argument-parser's ValidationError).
    @Test func exitCodes() throws {
        #expect(try weft(["completions", "tcsh"]).status == 2)
        #expect(try weft(["tail"]).status == 2, "no glob and no --state-dir")
        #expect(try weft(["/nonexistent/app.log"]).status == 1)
    }

    /// `weft --version` names the release and the commit the binary was built from (StampCommit, from git at build
    /// time): a hex commit that this repository knows when built from a checkout, "unknown" only without one.
    @Test func versionNamesTheCommit() throws {
        let output = try weft(["--version"]).stdout
        let match = try #require(output.wholeMatch(of: /weft (\d+\.\d+\.\d+) \(commit ([0-9a-f]{4,40}|unknown)\)\n/))
        let commit = String(match.output.2)
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: package.appendingPathComponent(".git").path),
            ProcessInfo.processInfo.environment["WEFT_COMMIT"] == nil
        else { return }
        #expect(commit != "unknown", "built from a git checkout, so the commit is known")
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", package.path, "cat-file", "-e", commit + "^{commit}"]
        git.standardError = FileHandle.nullDevice
        try git.run()
        git.waitUntilExit()
        #expect(git.terminationStatus == 0, "\(commit) is not a commit of this repository")
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

    @Test func explainFillsStderrWhileRecordsFillStdout() throws {
        // Both pipes get far more than a pipe holds (64 KiB): `--explain` on every sample capture.
        let names = Fixtures.sampleNames()
        let paths = names.map { Fixtures.samples.appendingPathComponent($0).path }
        let run = try weft(["--explain"] + paths)
        #expect(run.status == 0)
        #expect(run.stderr.utf8.count > 64 << 10)
        #expect(run.stdout.utf8.count > 64 << 10)
        // Every record is on stdout, each file's in its order, and each record's end is explained on stderr.
        var bodies: [String: [String]] = [:]
        for line in run.stdout.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let attributes = try #require(record["attributes"] as? [String: Any])
            let path = try #require(attributes["log.file.path"] as? String)
            bodies[path, default: []].append(try #require(record["body"] as? String))
        }
        var count = 0
        for (name, path) in zip(names, paths) {
            let log = Fixtures.samples.appendingPathComponent(name)
            let expected = try Fixtures.expected(log.deletingPathExtension().appendingPathExtension("expected.jsonl"))
            #expect(bodies[path] ?? [] == expected.map(\.body), "\(name)")
            count += expected.count
        }
        #expect(run.stderr.components(separatedBy: "└─ record: ").count - 1 == count)
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
