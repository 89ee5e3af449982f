import Testing

@testable import WeftConfig

/// The configuration file: keys become `weft tail`'s flags, and every problem is reported where it is.
@Suite struct ConfigFileTests {
    func parse(
        _ text: String, environment: [String: String] = [:], check: @escaping ([String]) -> String? = { _ in nil }
    ) -> Result<ConfigFile, ConfigErrors> {
        ConfigFile.parse(text, file: "weft.yaml", environment: environment, check: check)
    }

    func errors(_ text: String, environment: [String: String] = [:]) -> [String] {
        guard case .failure(let errors) = parse(text, environment: environment) else { return [] }
        return errors.diagnostics.map(\.description)
    }

    @Test func keysBecomeTheFlagsOfEachSource() throws {
        let config = try parse(
            """
            state_dir: /var/lib/weft
            metrics_address: 0.0.0.0:2020
            inotify: false
            flush_timeout: 2s
            sources:
              - name: pods
                paths: ['/var/log/pods/*/*/*.log']
                parsers: [go, java]
              - name: legacy
                paths: /var/log/legacy/*.log
                flush_timeout: 5s
                parser_files: [/etc/a.yaml, /etc/b.yaml]
            output:
              otlp:
                endpoint: http://gateway:4318
                headers: {Authorization: "Bearer ${TOKEN}", X-Tenant: a$$b}
            """, environment: ["TOKEN": "s3cret"]
        ).get()
        #expect(config.sources.map(\.name) == ["pods", "legacy"])
        #expect(
            config.tailArguments(for: config.sources[0]) == [
                "/var/log/pods/*/*/*.log", "--metrics-address", "0.0.0.0:2020", "--no-inotify", "--otlp-endpoint",
                "http://gateway:4318", "--otlp-header", "Authorization=Bearer s3cret", "--otlp-header", "X-Tenant=a$b",
                "--flush-timeout", "2s", "--parsers", "go,java", "--state-dir", "/var/lib/weft/pods",
            ])
        // A source's own value comes after the top-level default, so it wins.
        #expect(
            config.tailArguments(for: config.sources[1]).dropLast(2).suffix(8) == [
                "--flush-timeout", "2s", "--flush-timeout", "5s", "--parsers-file", "/etc/a.yaml", "--parsers-file",
                "/etc/b.yaml",
            ])
        #expect(config.tailArguments(for: config.sources[1]).last == "/var/lib/weft/legacy")
        #expect(config.sources[1].line == 9)
    }

    /// The symlink policy: `symlink_roots` is `--symlink-root` per item, `follow_symlinks_outside: true` is
    /// `--follow-symlinks-outside`. At the top level they are every source's defaults; a source's own roots add to
    /// them, as the repeated flag does.
    @Test func theSymlinkPolicyKeysAreTheirFlags() throws {
        let config = try parse(
            """
            state_dir: /s
            symlink_roots: [/data/logs]
            sources:
              - name: a
                paths: [/var/log/a/*.log]
                symlink_roots: /srv/a
              - name: b
                paths: [/var/log/b/*.log]
                follow_symlinks_outside: true
              - name: c
                paths: [/var/log/c/*.log]
                follow_symlinks_outside: no
            """
        ).get()
        #expect(
            config.tailArguments(for: config.sources[0]) == [
                "/var/log/a/*.log", "--symlink-root", "/data/logs", "--symlink-root", "/srv/a", "--state-dir", "/s/a",
            ])
        #expect(
            config.tailArguments(for: config.sources[1]) == [
                "/var/log/b/*.log", "--symlink-root", "/data/logs", "--follow-symlinks-outside", "--state-dir", "/s/b",
            ])
        #expect(
            config.tailArguments(for: config.sources[2]) == [
                "/var/log/c/*.log", "--symlink-root", "/data/logs", "--state-dir", "/s/c",
            ])
    }

    @Test func aMistypedSymlinkKeyIsAnErrorAtItsPlace() {
        #expect(
            errors(
                """
                state_dir: /s
                symlink_root: /data
                sources:
                  - name: a
                    paths: [x.log]
                    follow_symlink_outside: true
                  - name: b
                    paths: [y.log]
                    follow_symlinks_outside: maybe
                """) == [
                    "weft.yaml:2:1: error: unknown key symlink_root in the top level (hint: did you mean symlink_roots?)",
                    "weft.yaml:6:5: error: unknown key follow_symlink_outside in a source "
                        + "(hint: did you mean follow_symlinks_outside?)",
                    "weft.yaml:9:30: error: follow_symlinks_outside must be true or false",
                ])
    }

    @Test func everyProblemIsReportedWithItsLineColumnAndAHint() {
        let found = errors(
            """
            state_dir: /s
            flush_timout: 2s
            sources:
              - name: app
                paths: [a.log]
                output: x
              - name: app
                paths: [b.log]
            output:
              otlp:
                compresion: gzip
                headers: {Authorization: "Bearer ${MISSING}"}
            """)
        #expect(
            Set(found) == [
                "weft.yaml:2:1: error: unknown key flush_timout in the top level (hint: did you mean flush_timeout?)",
                "weft.yaml:6:5: error: unknown key output in a source (hint: output belongs in the top level)",
                "weft.yaml:7:5: error: two sources are named app (hint: the other one is at line 4)",
                "weft.yaml:11:5: error: unknown key compresion in output.otlp (hint: did you mean compression?)",
                "weft.yaml:12:30: error: ${MISSING} is not set in the environment (hint: export it, or write $$ for a $)",
            ])
    }

    @Test func anUnsetVariableIsAWarningWhenOnlyChecking() throws {
        let text = """
            state_dir: /s
            sources:
              - name: app
                paths: [a.log]
            output:
              otlp:
                endpoint: http://collector:4318
                headers: {Authorization: "Bearer ${TOKEN}"}
            """
        let checked = try ConfigFile.parse(text, file: "weft.yaml", environment: [:], unsetVariables: .warning).get()
        #expect(
            checked.warnings.map(\.description) == [
                "weft.yaml:8:30: warning: ${TOKEN} is not set in this environment: checked as empty; weft run needs it"
            ])
        #expect(checked.globalArguments.contains("Authorization=Bearer "))
        // Set, it is no warning; as `weft run` reads the file, unset is an error.
        let set = ConfigFile.parse(text, file: "weft.yaml", environment: ["TOKEN": "t"], unsetVariables: .warning)
        #expect(try set.get().warnings.isEmpty)
        #expect(errors(text).count == 1)
    }

    @Test func valuesAreCheckedAsTheirFlagsAre() {
        let result = parse(
            """
            state_dir: /s
            max_lines: many
            sources: [{name: a, paths: [x.log], read_from: middle}]
            """,
            check: { flags in flags.contains("many") || flags.contains("middle") ? "invalid \(flags[0])" : nil })
        guard case .failure(let errors) = result else {
            Issue.record("accepted")
            return
        }
        #expect(
            errors.diagnostics.map(\.description) == [
                "weft.yaml:2:12: error: max_lines: invalid --max-lines",
                "weft.yaml:3:48: error: read_from: invalid --read-from",
            ])
    }

    @Test func missingPiecesAndWrongShapes() {
        #expect(
            errors("sources: []\n")
                == [
                    "weft.yaml:1:10: error: sources must be a list of source blocks (hint: - name: pods\n  paths: [...])",
                    "weft.yaml:1:1: error: state_dir is missing (hint: where checkpoints are kept, e.g. state_dir: /var/lib/weft)",
                ].reversed())
        #expect(
            errors("state_dir: /s\nsources:\n  - paths: [a]\n  - name: ../up\n    paths: [b]\n") == [
                "weft.yaml:3:5: error: a source needs a name (hint: it names the source's checkpoint directory)",
                "weft.yaml:4:11: error: a source's name names its checkpoint directory (hint: letters, digits, - and _)",
            ])
        #expect(
            errors("state_dir: [a, b]\nsources: [{name: a, paths: [x]}]\n").first?.contains("must be a single value")
                == true)
        #expect(
            errors("- just\n- a list\n") == [
                "weft.yaml:1:1: error: the configuration must be a mapping of keys to values (hint: see deploy/weft.yaml)"
            ])
    }

    @Test func brokenYAMLSaysWhere() {
        let found = errors("state_dir: /s\nsources:\n  - name: a\n   paths: [x\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("weft.yaml:4:") == true, "\(found)")
        #expect(found.first?.contains("not valid YAML") == true)
    }

    @Test func aRepeatedKeySaysWhereBothAre() {
        #expect(
            errors("state_dir: /a\nsources: [{name: a, paths: [x]}]\nstate_dir: /b\n") == [
                "weft.yaml:3:1: error: not valid YAML: duplicate key 'state_dir' (first at line 1, column 1)"
            ])
    }

    @Test func editDistance() {
        #expect(WeftConfig.editDistance("flush_timout", "flush_timeout") == 1)
        #expect(WeftConfig.editDistance("", "abc") == 3)
        #expect(WeftConfig.editDistance("paths", "paths") == 0)
    }
}
