import Testing
import WeftCore
import WeftMultiline
import WeftTestSupport

/// Ordinary lines of common shapes right after a trace, with no time to tell them apart (plain text): each must stay
/// a record of its own instead of continuing the trace's exception message. The lines are real: captured by
/// `Samples/corpus/capture.sh` from the programs that print them, except where marked as a documented shape.
@Suite struct OrdinaryAfterTraceTests {
    /// Traces that end in a state whose catch-all rule takes "any line that does not look like a log start".
    static let traces: [(parser: String, trace: String)] = [
        (
            "python",
            """
            Traceback (most recent call last):
              File "/tmp/weft-samples/python/programs/tracebacks.py", line 107, in main
                discounted(100, {"rate": 5, "cap": 0})
              File "/tmp/weft-samples/python/programs/tracebacks.py", line 49, in discounted
                return total - total * discount["rate"] / discount["cap"]
                               ~~~~~~~~~~~~~~~~~~~~~~~~~^~~~~~~~~~~~~~~~~
            ZeroDivisionError: division by zero
            """
        ),
        (
            "java",
            """
            Nov 29, 2026 5:15:01 AM com.example.orders.CategoryTree main
            INFO: breadcrumbs for category 12: garden/tools
            """
        ),
        (
            "ruby",
            """
            F, [2026-11-29T05:33:06.750000 #4242] FATAL -- : gateway timeout after 30s (order 1044, 1250 cents) (GatewayError)
            programs/logger.rb:14:in `authorize'
            programs/logger.rb:18:in `charge'
            programs/logger.rb:43:in `block in <main>'
            programs/logger.rb:42:in `each'
            programs/logger.rb:42:in `<main>'
            """
        ),
    ]

    /// One line of each shape the message rules did not know as a log start.
    static let lines = [
        // Redis 7.0.15
        "31677:M 06 Dec 2026 15:27:24.895 * Ready to accept connections",
        "31677:signal-handler (1796570846) Received SIGTERM scheduling shutdown...",
        // make 4.3 and gcc 12.2 (-fno-diagnostics-show-caret)
        "cc -O2 -Wall -Wextra -fno-diagnostics-show-caret -c -o util.o util.c",
        "util.c: In function ‘parse’:",
        "util.c:2:32: warning: unused variable ‘unused’ [-Wunused-variable]",
        "make: *** No rule to make target 'nothing'.  Stop.",
        // npm 10 (Node 20)
        "> checkout@1.0.0 build",
        "> node build.js",
        "up to date in 692ms",
        "built 12 files in 1.4s",  // the build script's own print, run by npm
        // pip 23.0.1
        "Processing ./pypkg",
        "Installing collected packages: invoices",
        "Successfully installed invoices-0.3.1",
        // Perl 5.36 die/croak message (the line before Carp's frames)
        "order 1043: only 0 in stock, 5 wanted at programs/carp.pl line 26.",
        // Documented shapes: Tomcat's default (catalina.out), winston's default, an IPv6 client in an access log.
        "14-Mar-2026 10:11:34.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [812] ms",
        "info: server listening on port 3000",
        "::1 - - [14/Mar/2026:10:11:34 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\"",
        // A program's bare print after a traceback (written).
        "Listening on port 8080",
    ]

    static let cases: [(trace: Int, line: Int)] = traces.indices.flatMap { t in lines.indices.map { (t, $0) } }

    @Test(arguments: cases.indices)
    func staysARecordOfItsOwn(_ index: Int) throws {
        let (parser, trace) = Self.traces[Self.cases[index].trace]
        let line = Self.lines[Self.cases[index].line]
        let records = try EngineHarness.records(trace + "\n" + line)
        #expect(records.map(\.body) == [trace, line], "after a \(parser) trace")
        #expect(records.map(\.parser) == [parser, nil])
    }

    /// A Rails entry's backtrace lines name a method (`file.rb:11:in 'show'`), except a template's
    /// (`app/views/orders/index.html.erb:3`): another `path:line` after the entry is not one of its frames.
    @Test func aPathAndLineAfterARailsEntryIsNotItsFrame() throws {
        let entry = """
            F, [2026-11-29T05:40:03.375000 #4242] FATAL -- : [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02]\u{20}\u{20}\u{20}
            [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02] ArgumentError (invalid value for Integer(): "1042x"):
            [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02]\u{20}\u{20}\u{20}
            [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02] app/controllers/orders_controller.rb:23:in `Integer'
            [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02] app/controllers/orders_controller.rb:23:in `order_id'
            [5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02] app/controllers/orders_controller.rb:11:in `show'
            """
        for line in ["/srv/app/config/app.php:12", "config/puma.rb:12"] {
            let records = try EngineHarness.records(entry + "\n" + line)
            #expect(records.map(\.body) == [entry, line])
            #expect(records.first?.parser == "ruby")
        }
    }

    /// Issue 16's example: a Go standard-logger line that says nothing went wrong, right before a goroutine dump
    /// (debug.PrintStack(), real lines of `Samples/go/http_panic.log`), is the application's previous line; one that
    /// says what failed introduces the dump.
    @Test func aGoLogLineIntroducesADumpOnlyWhenItSaysWhatFailed() throws {
        let dump = """
            goroutine 1 [running]:
            runtime/debug.Stack()
            \truntime/debug/stack.go:24 +0x65
            main.reconcile.func1()
            \texample.com/weft-samples/httppanic/main.go:32 +0xde
            """
        let unrelated = "2026/03/14 10:55:49 worker 6: processed 95 jobs in 6.404s"
        let records = try EngineHarness.records(unrelated + "\n" + dump)
        #expect(records.map(\.body) == [unrelated, dump])
        #expect(records.map(\.parser) == [nil, "go"])
        let failed = "2026/11/29 05:25:05 failed: reconcile 1042: runtime error: integer divide by zero"
        #expect(try EngineHarness.records(failed + "\n" + dump).map(\.body) == [failed + "\n" + dump])
    }

    /// Python messages that do go on after their exception line still do: pydantic 1.10's (Debian's
    /// python3-pydantic, captured) with the field's name alone and an indented reason, and a "key: value" line.
    @Test func pythonMessagesThatGoOnStillDo() throws {
        let pydantic = """
            Traceback (most recent call last):
              File "<string>", line 7, in <module>
              File "/usr/lib/python3/dist-packages/pydantic/main.py", line 342, in __init__
                raise validation_error
            pydantic.error_wrappers.ValidationError: 1 validation error for Item
            price
              value is not a valid float (type=type_error.float)
            """
        let keyValue = """
            Traceback (most recent call last):
              File "/app/deploy.py", line 12, in <module>
                run(["kubectl", "apply", "-f", "shop.yaml"])
            RuntimeError: kubectl apply failed
            stderr: error: the server doesn't have a resource type "deploymnt"
            """
        let next = "2026-03-14 10:11:35,120 INFO app: retrying in 5s"
        for trace in [pydantic, keyValue] {
            #expect(try EngineHarness.records(trace + "\n" + next).map(\.body) == [trace, next])
        }
    }

    /// `#N {main}` is the last frame of a PHP trace: BuildKit's `#8 DONE 14.5s` after it is not a frame. (PHP 5's
    /// format, written from its source as in `Samples/php/php5.log`; BuildKit's lines from its documented output.)
    @Test func buildKitAfterAPHPTrace() throws {
        let trace = """
            exception 'Exception' with message 'Custom exception' in /app/test.php:5
            Stack trace:
            #0 /app/test.php(9): func1()
            #1 /app/test.php(13): func2()
            #2 {main}
            """
        let build = ["#8 DONE 14.5s", "#11 exporting to image"]
        let records = try EngineHarness.records(([trace] + build).joined(separator: "\n"))
        #expect(records.map(\.body) == [trace] + build)
        #expect(records.map(\.parser) == ["php", nil, nil])
    }

    /// After a flush timeout inside a Ruby trace, a line that starts a new Ruby error is that error, not the old
    /// trace resuming: Ruby prints a cause exactly like a new error, and after a pause the new error is meant.
    @Test func aNewErrorAfterAPauseIsNotAContinuation() throws {
        var h = try EngineHarness()
        h.pushLines(Self.traces[2].trace, stream: .stderr)
        h.advance(byMilliseconds: 1_500)  // past the one-second flush timeout
        let uncaught = """
            programs/uncaught.rb:20:in `parse_row': invalid row: (ArgumentError)
              id: missing
              amount: -5
            \tfrom programs/uncaught.rb:46:in `<main>'
            """
        h.pushLines(uncaught, stream: .stderr)
        let records = h.finish()
        #expect(records.map(\.body) == [Self.traces[2].trace, uncaught])
        #expect(records.map(\.continuation) == [false, false])
        #expect(records.map(\.flushReason) == [.timeout, .endOfInput])
    }
}
