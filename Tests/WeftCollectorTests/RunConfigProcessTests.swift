import Foundation
import Testing
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `weft run --config` and `weft config check` as processes: the annotated example is valid, a broken file gets
/// every error at its place, and several source blocks are followed in one process, each with its own parsers and
/// checkpoints.
@Suite(.serialized) struct RunConfigProcessTests {
    typealias Tail = TailProcessTests

    /// Runs weft to its end: exit status, stdout, stderr.
    static func weft(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = Tail.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func theAnnotatedExampleIsValid() throws {
        let example = repositoryRoot + "/deploy/weft.yaml"
        let checked = try Self.weft(["config", "check", example], environment: ["WEFT_OTLP_TOKEN": "token"])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout == "\(example): ok, 2 sources (pods, legacy-app)\n")
        // Its secret comes from the environment. Where it is not set (a CI job), the check warns and passes; `weft
        // run` refuses to start without it, saying where it is needed.
        for (arguments, status, said) in [
            (
                ["config", "check", example], Int32(0),
                ":22: warning: ${WEFT_OTLP_TOKEN} is not set in this environment"
            ),
            (["run", "--config", example], Int32(1), ":22: error: ${WEFT_OTLP_TOKEN} is not set in the environment"),
        ] {
            var environment = ProcessInfo.processInfo.environment
            environment["WEFT_OTLP_TOKEN"] = nil
            let process = Process()
            process.executableURL = Tail.binary
            process.arguments = arguments
            process.environment = environment
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == status, "\(arguments): \(text)")
            #expect(text.contains(said), "\(arguments): \(text)")
        }
    }

    @Test func aBrokenFileGetsEveryErrorInOrderAndExit1() throws {
        let scratch = try Tail.Scratch("config-check")
        defer { scratch.remove() }
        scratch.append(
            "weft.yaml",
            """
            state_dir: state
            max_lines: many
            sources:
              - name: app
                paths: [logs/*.log]
                parser_files: [rules.yaml]
                read_from: middle
            output:
              otlp: {endpoint: http://x:4318, compresion: gzip}

            """)
        scratch.append(
            "rules.yaml",
            """
            name: broken
            states:
              start:
                - match: '^(unclosed'
                  next: start

            """)
        let checked = try Self.weft(["config", "check", "weft.yaml"], in: scratch.url)
        #expect(checked.status == 1)
        let lines = checked.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.hasPrefix("weft.yaml:2:12: error: max_lines: ") == true)
        #expect(lines.dropFirst().first?.hasPrefix("weft.yaml:7:16: error: read_from: ") == true)
        #expect(lines.last?.hasPrefix("weft.yaml:9:35: error: unknown key compresion in output.otlp") == true)

        // With the values mended, the rule file's bad regex is reported, naming its rule.
        try """
        state_dir: state
        sources:
          - name: app
            paths: [logs/*.log]
            parser_files: [rules.yaml]

        """.write(toFile: scratch.path("weft.yaml"), atomically: true, encoding: .utf8)
        let again = try Self.weft(["config", "check", "weft.yaml"], in: scratch.url)
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("weft.yaml:3:5: error: source app: "), "\(again.stderr)")
        #expect(again.stderr.contains("start"), "the rule is named: \(again.stderr)")
    }

    @Test func eachSourceBlockHasItsOwnParsersAndCheckpoints() throws {
        let scratch = try Tail.Scratch("run-config")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.path("jvm"), withIntermediateDirectories: true)
        let python = """
            Traceback (most recent call last):
              File "app.py", line 3, in <module>
                main()
            ValueError: bad input

            """
        let java = """
            Exception in thread "main" java.lang.IllegalStateException: boom
            \tat com.example.App.main(App.java:5)

            """
        // The same two traces in both places: each source merges only what its own parsers know.
        scratch.append("logs/app.log", python + java)
        scratch.append("jvm/server.log", python + java)
        scratch.append(
            "weft.yaml",
            """
            state_dir: state
            flush_timeout: 50ms
            checkpoint_interval: 50ms
            sources:
              - name: app
                paths: [logs/*.log]
                parsers: [python]
              - name: jvm
                paths: [jvm/*.log]
                parsers: java
            output:
              file: out.jsonl

            """)
        let output = Tail.RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try Tail.WeftProcess(
            ["run", "--config", "weft.yaml", "--log-format", "json"], in: scratch)
        try Tail.waitFor("both files' records", timeout: 20) {
            try output.poll()
            return output.records.count == 3 + 5
        }
        #expect(try weft.terminate() == 0)
        let byFile = Dictionary(grouping: output.records) { $0.attributes["log.file.path"] as? String ?? "" }
        let app = byFile["logs/app.log"] ?? []
        let jvm = byFile["jvm/server.log"] ?? []
        // logs/: the traceback whole (python), the Java trace a line each.
        #expect(app.map { $0.attributes["weft.parser"] as? String } == ["python", nil, nil])
        #expect(app.first?.body == String(python.dropLast()))
        // jvm/: the traceback a line each, the Java trace whole.
        #expect(jvm.map { $0.attributes["weft.parser"] as? String } == [nil, nil, nil, nil, "java"])
        #expect(jvm.last?.body == String(java.dropLast()))
        #expect(FileManager.default.fileExists(atPath: scratch.path("state/app/checkpoints.json")))
        #expect(FileManager.default.fileExists(atPath: scratch.path("state/jvm/checkpoints.json")))
        // The flag after the file took effect, and every message says its source.
        let messages = scratch.read("stderr.txt").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        let following = messages.filter { $0["msg"] == "following file" }
        #expect(Set(following.compactMap { $0["source"] }) == ["app", "jvm"])
    }

    /// The symlink policy from the file acts as `weft tail`'s flags do: logs/out.log links to elsewhere/app.log, out
    /// of the glob's directory. Without a key it is refused (reported once); `symlink_roots` naming elsewhere, or
    /// `follow_symlinks_outside: true`, follows it; so do the flags given after the file, over a file that says
    /// nothing or false. logs/in.log, a plain file, is followed every time.
    @Test(arguments: [
        ("", [], false), ("symlink_roots: [ELSEWHERE]", [], true), ("follow_symlinks_outside: true", [], true),
        ("follow_symlinks_outside: false", [], false), ("", ["--symlink-root", "ELSEWHERE"], true),
        ("follow_symlinks_outside: false", ["--follow-symlinks-outside"], true),
    ])
    func theSymlinkPolicyKeysActAsTheirFlags(key: String, overrides: [String], follows: Bool) throws {
        let scratch = try Tail.Scratch("run-symlinks")
        defer { scratch.remove() }
        let elsewhere = scratch.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        scratch.append("elsewhere/app.log", "INFO through the link\n")
        scratch.append("logs/in.log", "INFO in place\n")
        #expect(symlink(elsewhere + "/app.log", scratch.path("logs/out.log")) == 0)
        scratch.append(
            "weft.yaml",
            """
            state_dir: state
            flush_timeout: 20ms
            \(key.replacingOccurrences(of: "ELSEWHERE", with: elsewhere))
            sources:
              - name: app
                paths: [logs/*.log]
            output:
              file: out.jsonl

            """)
        let output = Tail.RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try Tail.WeftProcess(
            ["run", "--config", "weft.yaml"] + overrides.map { $0 == "ELSEWHERE" ? elsewhere : $0 }, in: scratch)
        try Tail.waitFor("both files, or the plain one and the refusal", timeout: 20) {
            try output.poll()
            return output.bodies.contains("INFO in place")
                && (follows
                    ? output.bodies.contains("INFO through the link")
                    : scratch.read("stderr.txt").contains("lies outside the followed directories"))
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(Set(output.bodies) == (follows ? ["INFO in place", "INFO through the link"] : ["INFO in place"]))
        let refusals = scratch.read("stderr.txt").split(separator: "\n").filter {
            $0.contains("lies outside the followed directories")
        }
        #expect(refusals.count == (follows ? 0 : 1), "\(refusals)")
    }
}
