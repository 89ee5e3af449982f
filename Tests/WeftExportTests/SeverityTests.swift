import Testing
import WeftExport

@Suite struct SeverityTests {
    static let cases: [(line: String, merged: Bool, number: Int?, text: String?)] = [
        ("2026-11-29 05:12:06.750 WARN  [pool-1-thread-1] com.example.App - batch 7", false, 13, "WARN"),
        ("2026-11-29 06:10:03.3750|ERROR|Acme.Billing.Rates|Conversion failed", false, 17, "ERROR"),
        ("[06:10:01 ERR] Loading invoice INV-9 failed", false, 17, "ERR"),
        ("[2026-11-29T06:00:05+00:00] billing.WARNING: gateway latency above 2s", false, 13, "WARNING"),
        ("INFO:root:exception counter reset: 0 Exceptions, 0 Errors", false, 9, "INFO"),
        ("[ERROR] disk full", false, 17, "ERROR"),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", false, 17, "Error"),
        ("CRITICAL:root:out of memory", false, 21, "CRITICAL"),
        ("2026-03-14 09:00:01 DEBUG cache miss", false, 5, "DEBUG"),
        ("2026-03-14 09:00:01 TRACE enter", false, 1, "TRACE"),
        ("2026-03-14 09:00:01 FATAL cannot start", false, 21, "FATAL"),
        ("[29-Nov-2026 05:40:00 UTC] PHP Fatal error:  Uncaught RuntimeException", true, 21, "Fatal"),
        ("E0314 09:00:01.123456   12345 controller.go:12] sync failed", false, 17, "ERROR"),
        ("W0314 09:00:01.123456   12345 controller.go:12] slow", false, 13, "WARN"),
        ("I0314 09:00:01.123456   12345 controller.go:12] synced", false, 9, "INFO"),
        ("F0314 09:00:01.123456   12345 controller.go:12] dying", false, 21, "FATAL"),
        ("E, [2026-11-29T06:00:05.000000 #4242] ERROR -- : boom", false, 17, "ERROR"),
        ("I, [2026-11-29T06:00:05.000000 #4242]  INFO -- : Completed 500 Internal Server Error", false, 9, "INFO"),
        ("W, [2026-11-29T06:00:05.000000 #4242]  WARN -- : slow", false, 13, "WARN"),
        // A trace without a level, merged by a parser: ERROR without a text.
        ("panic: runtime error: invalid memory address or nil pointer dereference", true, 17, nil),
        ("Traceback (most recent call last):", true, 17, nil),
        // No level.
        ("panic: runtime error: invalid memory address", false, nil, nil),
        ("2026/11/29 05:25:03 client: GET /orders/1042 failed: EOF", false, nil, nil),
        ("an error happened, a warning was ignored", false, nil, nil),
        ("ERROR_CODE=5 is not a level", false, nil, nil),
        ("Nov 29, 2026 5:13:04 AM com.example.orders.JulApp main\nSEVERE: boom", false, nil, nil),
        ("one two three four ERROR after four words", false, nil, nil),
        ("", false, nil, nil),
        ("", true, 17, nil),
        ("Errors: 0", false, nil, nil),
        ("E0314x not klog", false, nil, nil),
    ]

    @Test(arguments: cases.indices)
    func detects(index: Int) {
        let (line, merged, number, text) = Self.cases[index]
        let severity = Array(line.utf8).withUnsafeBytes { Severity.detect(in: $0, mergedByParser: merged) }
        #expect(severity?.number == number, "\(line)")
        #expect(severity?.text == text, "\(line)")
    }

    @Test func looksOnlyAtTheStartOfTheFirstLine() {
        let late = String(repeating: "-", count: Severity.scanLimit) + " ERROR"
        #expect(Array(late.utf8).withUnsafeBytes { Severity.detect(in: $0, mergedByParser: false) } == nil)
        let huge = String(repeating: "a", count: 1 << 20)
        #expect(Array(huge.utf8).withUnsafeBytes { Severity.detect(in: $0, mergedByParser: false) } == nil)
    }
}
