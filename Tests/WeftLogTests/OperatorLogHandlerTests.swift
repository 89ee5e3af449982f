import Foundation
import Logging
import Synchronization
import Testing
import WeftLog

#if canImport(Glibc)
    import Glibc
#endif

/// Weft's own log lines, read back from a real pipe: their two formats, the level, and the rate limit.
@Suite struct OperatorLogHandlerTests {
    /// A pipe the handler writes to; `lines()` reads what it wrote so far.
    final class Capture {
        let read: Int32
        let write: Int32

        init() {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            (read, write) = (fds[0], fds[1])
            _ = fcntl(read, F_SETFL, O_NONBLOCK)
        }

        deinit {
            close(read)
            close(write)
        }

        func lines() -> [String] {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = Glibc.read(read, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    /// A clock the test moves: 2026-03-14T09:00:00.250Z to start with.
    final class Clock: Sendable {
        let now = Atomic<Int64>(1_773_478_800_250_000_000)
        func advance(seconds: Int64) { now.add(seconds * 1_000_000_000, ordering: .relaxed) }
    }

    func logger(
        _ capture: Capture, _ format: OperatorLogFormat, level: Logger.Level = .info, clock: Clock = Clock(),
        burst: Int = 10
    ) -> Logger {
        var limit = OperatorLogHandler.RateLimit()
        limit.burst = burst
        return Logger(label: "weft") { _ in
            OperatorLogHandler(
                format: format, level: level, fd: capture.write, rateLimit: limit,
                clock: { clock.now.load(ordering: .relaxed) })
        }
    }

    @Test func logfmtLines() {
        let capture = Capture()
        let log = logger(capture, .logfmt)
        log.info("following file", metadata: ["path": "/var/log/pods/a b/0.log", "offset": "0"])
        log.warning("cannot open file; the other files go on", metadata: ["reason": "Permission denied"])
        #expect(
            capture.lines() == [
                #"time=2026-03-14T09:00:00.250Z level=info msg="following file" offset=0 path="/var/log/pods/a b/0.log""#,
                #"time=2026-03-14T09:00:00.250Z level=warning msg="cannot open file; the other files go on" reason="Permission denied""#,
            ])
    }

    @Test func jsonLinesParseAndKeepEveryField() throws {
        let capture = Capture()
        let log = logger(capture, .json)
        log.error(
            "the OTLP endpoint refused a batch; it is not retried",
            metadata: ["status": "400", "kept_in": "/state/dead-letter/x \"quoted\"\n\u{1}"])
        let line = try #require(capture.lines().first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(
            object == [
                "time": "2026-03-14T09:00:00.250Z", "level": "error",
                "msg": "the OTLP endpoint refused a batch; it is not retried", "status": "400",
                "kept_in": "/state/dead-letter/x \"quoted\"\n\u{1}",
            ])
    }

    @Test func belowTheLevelNothingIsWritten() {
        let capture = Capture()
        let log = logger(capture, .logfmt, level: .warning)
        log.info("following file")
        log.debug("detail")
        log.error("cannot read file; letting it go")
        #expect(capture.lines().count == 1)
        #expect(capture.lines().isEmpty, "read once")
    }

    @Test func aFloodOfOneMessageIsHeldBackAndCounted() {
        let capture = Capture()
        let clock = Clock()
        let log = logger(capture, .logfmt, clock: clock, burst: 3)
        for index in 0..<100 { log.warning("cannot open file; the other files go on", metadata: ["path": "\(index)"]) }
        log.info("following file", metadata: ["path": "other"])  // another message has its own allowance
        var lines = capture.lines()
        #expect(lines.count == 4)
        #expect(lines.filter { $0.contains("cannot open file") }.count == 3)
        clock.advance(seconds: 61)
        log.warning("cannot open file; the other files go on", metadata: ["path": "100"])
        lines = capture.lines()
        #expect(lines.count == 1)
        #expect(lines.first?.hasSuffix("path=100 suppressed=97") == true, "\(lines)")
    }
}
