import Testing
import WeftCore
import WeftMultiline
import WeftTestSupport

/// Two traces back to back on one stream, as the mixed corpus (`Samples/corpus`) weaves them: each must come out as
/// its own record. The lines are real captures from `Samples/`.
@Suite struct TraceAfterTraceTests {
    static let jul = [
        "Nov 29, 2026 5:15:01 AM com.example.orders.CategoryTree main",
        "INFO: breadcrumbs for category 12: garden/tools",
    ]
    static let mono = [
        "System.InvalidOperationException: no exchange rate for JPY",
        "  at Acme.Billing.Program.FetchRateAsync (System.String currency) [0x0007c] in "
            + "/tmp/weft-samples/dotnet/programs/Invoices.cs:63 ",
        "  at Acme.Billing.Program.ConvertAsync (System.Decimal amount, System.String currency) [0x00072] in "
            + "/tmp/weft-samples/dotnet/programs/Invoices.cs:68 ",
    ]
    static let overflow = [
        "programs/stack_overflow.rb:16:in `depth': stack level too deep (SystemStackError)",
        "\tfrom programs/stack_overflow.rb:16:in `depth'",
        "\tfrom programs/stack_overflow.rb:20:in `<main>'",
    ]
    static let uncaught = [
        "programs/uncaught.rb:20:in `parse_row': invalid row: (ArgumentError)",
        "  id: missing",
        "  amount: -5",
        "\tfrom programs/uncaught.rb:46:in `<main>'",
    ]

    /// A JUL message takes the exception line after it on trial; Mono's frames (a space before the parenthesis) are
    /// not Java's, so the exception goes back to be read again, and starts Mono's trace with its frames.
    @Test func monoExceptionAfterAJavaUtilLoggingMessage() throws {
        let records = try EngineHarness.records((Self.jul + Self.mono).joined(separator: "\n"))
        #expect(records.map(\.body) == [Self.jul.joined(separator: "\n"), Self.mono.joined(separator: "\n")])
        #expect(records.map(\.parser) == ["java", "dotnet"])
    }

    /// Ruby prints a cause like a new error: one that comes seconds after the last frame (Docker's or CRI's times,
    /// no flush timeout in between, as `weft FILE` reads a file) is the next error; microseconds after, the cause.
    @Test func aRubyErrorSecondsAfterAnotherIsNotItsCause() throws {
        func run(gap: Int64) throws -> [CollectedRecord] {
            var h = try EngineHarness()
            var time: Int64 = 1_773_478_800_000_000_000
            for line in Self.overflow {
                h.push(line, stream: .stderr, time: time)
                time += 5_000
            }
            time += gap
            for line in Self.uncaught {
                h.push(line, stream: .stderr, time: time)
                time += 5_000
            }
            return h.finish()
        }
        let apart = try run(gap: 2_000_000_000)
        #expect(
            apart.map(\.body) == [
                Self.overflow.joined(separator: "\n"), Self.uncaught.joined(separator: "\n"),
            ])
        #expect(try run(gap: 20_000).count == 1)
    }

    /// A Logger's backtrace lines end with the method; an uncaught error's line goes on with its message.
    @Test func anUncaughtErrorAfterALoggerBacktrace() throws {
        let logger = [
            "F, [2026-11-29T05:33:06.750000 #4242] FATAL -- : gateway timeout after 30s (order 1044, 1250 cents) "
                + "(GatewayError)",
            "programs/logger.rb:14:in `authorize'",
            "programs/logger.rb:42:in `<main>'",
        ]
        let records = try EngineHarness.records((logger + Self.uncaught).joined(separator: "\n"))
        #expect(
            records.map(\.body) == [logger.joined(separator: "\n"), Self.uncaught.joined(separator: "\n")])
    }

    /// The same after a Rails entry's backtrace.
    @Test func anUncaughtErrorAfterARailsEntry() throws {
        let rails = [
            "F, [2026-11-29T05:40:03.375000 #4242] FATAL -- :   ",
            "ArgumentError (invalid value for Integer(): \"1042x\"):",
            "  ",
            "app/controllers/orders_controller.rb:23:in `Integer'",
            "app/controllers/orders_controller.rb:11:in `show'",
        ]
        let records = try EngineHarness.records((rails + Self.uncaught).joined(separator: "\n"))
        #expect(
            records.map(\.body) == [rails.joined(separator: "\n"), Self.uncaught.joined(separator: "\n")])
    }
}
