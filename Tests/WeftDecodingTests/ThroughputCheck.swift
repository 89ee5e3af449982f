import Testing
import WeftCore
import WeftDecoding
import WeftJoin
import WeftTestSupport

/// Prints decode and decode+join throughput; not a timed test (it asserts nothing about speed) and off unless
/// `WEFT_BENCH=1`. Meaningful only in release: `WEFT_BENCH=1 swift test -c release --filter ThroughputCheck`.
@Suite(.enabled(if: Environment.value("WEFT_BENCH") == "1"))
struct ThroughputCheck {
    /// Lines shaped like real container logs: application log lines, Java and Python trace lines (`\t`, quotes).
    static func sampleLines(_ count: Int) -> [String] {
        let messages = [
            "2026-03-14 09:00:01,123 INFO  [http-nio-8080-exec-7] c.e.shop.api.OrderController - Handling request "
                + "id=4f1c2b7e user=alice path=/api/v1/orders/12345 status=200 duration_ms=17",
            "\tat com.example.shop.service.OrderService.placeOrder(OrderService.java:214)",
            "  File \"/srv/app/shop/handlers.py\", line 88, in handle_request",
            "level=info ts=2026-03-14T09:00:01.123Z caller=main.go:42 msg=\"listening\" addr=:8080",
            "GET /healthz 200 0.412 ms - 2",
            "{\"level\":\"warn\",\"msg\":\"slow query\",\"ms\":812,\"sql\":\"SELECT * FROM orders WHERE id = $1\"}",
            "Traceback (most recent call last):",
            "INFO: 10.0.3.17:51234 - \"POST /api/v1/cart HTTP/1.1\" 201 Created",
        ]
        return (0..<count).map { messages[$0 % messages.count] + " #\($0)" }
    }

    /// All lines in one buffer, with their ranges (as the framer would hand them over).
    static func corpus(_ physical: [String]) -> (bytes: [UInt8], ranges: [Range<Int>]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for line in physical {
            let start = bytes.count
            bytes += line.utf8
            ranges.append(start..<bytes.count)
            bytes.append(0x0A)
        }
        return (bytes, ranges)
    }

    static func measure(_ name: String, format: LogFormat, physical: [String], join: Bool) {
        let (bytes, ranges) = corpus(physical)
        let rounds = 20
        var checksum = 0
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        for _ in 0..<rounds {
            var decoder = LineDecoder(format: format, source: 0)
            var joiner = PartialJoiner()
            let elapsed = clock.measure {
                bytes.withUnsafeBytes { raw in
                    for range in ranges {
                        let line = decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range]), flags: [])
                        if join {
                            joiner.push(line, now: 0) { checksum &+= $0.text.count }
                        } else {
                            checksum &+= line.text.count
                        }
                    }
                }
            }
            best = min(best, elapsed)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let megabytes = Double(bytes.count) / 1e6
        let rate = (megabytes / seconds * 10).rounded() / 10
        print("\(name): \(rate) MB/s (\(ranges.count) lines, \(Int(megabytes)) MB, best of \(rounds), sum \(checksum))")
    }

    @Test func decodeThroughput() {
        let lines = Self.sampleLines(200_000)
        let docker = lines.enumerated().map { index, text in
            #"{"log":\#(GoJSON.quoted(text + "\n")),"stream":"\#(index % 3 == 0 ? "stderr" : "stdout")","#
                + #""time":"2026-03-14T09:00:01.\#(100_000_000 + index)Z"}"#
        }
        let cri = lines.enumerated().map { index, text in
            "2026-03-14T09:00:01.\(100_000_000 + index)+00:00 stdout F \(text)"
        }
        Self.measure("docker decode", format: .docker, physical: docker, join: false)
        Self.measure("docker decode+join", format: .docker, physical: docker, join: true)
        Self.measure("cri decode", format: .cri, physical: cri, join: false)
        Self.measure("cri decode+join", format: .cri, physical: cri, join: true)
        Self.measure("plain decode+join", format: .plain, physical: lines, join: true)
    }
}
