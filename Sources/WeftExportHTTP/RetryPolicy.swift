import WeftCore

/// When to send a failed batch again: exponential backoff with full jitter, a server's `Retry-After` honoured, and
/// which failures are worth retrying at all.
///
/// Retried, as the OTLP specification lists: connection errors and timeouts, 429, 502, 503 and 504. Any other 4xx
/// means the batch itself is refused and will be every time: it goes to the dead-letter directory instead (never
/// dropped silently). Other 5xx are retried too: a server error says nothing against the batch.
public struct RetryPolicy: Sendable, Equatable {
    /// The first wait (nanoseconds); each later one doubles, up to ``maximum``.
    public var initial: Int64 = 100_000_000
    public var maximum: Int64 = 30_000_000_000

    public init() {}

    public init(initial: Int64, maximum: Int64) {
        self.initial = initial
        self.maximum = maximum
    }

    /// What to do with a response status (nil: no response, a connection error or a timeout).
    public enum Verdict: Equatable, Sendable {
        case delivered
        case retry
        case refused
    }

    public static func verdict(status: Int?) -> Verdict {
        guard let status else { return .retry }
        switch status {
        case 200..<300: return .delivered
        case 429, 502, 503, 504: return .retry
        case 400..<500: return .refused
        default: return .retry
        }
    }

    /// The wait before attempt `attempt` + 1 (attempt counts from 1): a uniformly random time up to the exponential
    /// bound (full jitter, so that many agents retrying at once spread out), or the server's `Retry-After` when it
    /// gave one (capped at ``maximum``).
    public func delay(afterAttempt attempt: Int, retryAfter: Int64?, random: inout some RandomNumberGenerator) -> Int64
    {
        if let retryAfter { return min(max(retryAfter, 0), maximum) }
        let exponent = min(attempt - 1, 40)
        let bound = min(
            maximum, initial.multipliedReportingOverflow(by: 1 << exponent).overflow ? maximum : initial << exponent)
        return Int64.random(in: 0...max(bound, 1), using: &random)
    }

    /// `Retry-After` as nanoseconds: delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`) relative
    /// to `now` (nanoseconds since the epoch). Nil if absent or unreadable.
    public static func parseRetryAfter(_ value: String?, now: Int64) -> Int64? {
        guard let value = value?.trimmingWhitespace, !value.isEmpty else { return nil }
        if let seconds = Int64(value), seconds >= 0 { return seconds * 1_000_000_000 }
        guard let date = HTTPDate.parse(value) else { return nil }
        return max(0, date - now)
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), the form `Retry-After` dates take: `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int64(parts[1]), let year = Int64(parts[3]) else {
            return nil
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2])
        else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: Int64(monthIndex + 1), day: day)
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000_000)
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
