import WeftCore

/// Finds the time an application printed at the start of a plain-text line, so replay can drive its clock from
/// plain logs too.
///
/// Recognised at the very start of the line (after an optional `[`):
/// - RFC 3339 / ISO 8601: `2026-11-29T05:03:36.123Z`, `2026-11-29T05:03:36+01:00`, `2026-11-29 05:03:36,123`
/// - Go's standard logger: `2026/11/29 05:03:36[.123456]`
/// - syslog: `Nov 29 05:03:36` (no year in the format: `year` is used)
///
/// A time without a zone is taken as UTC. Anything else returns nil: the line carries no time.
public enum LeadingTimestamp {
    /// The time at the start of `line`, in nanoseconds since the Unix epoch (UTC), or nil if the line does not start
    /// with one of the shapes above.
    ///
    /// - Parameter year: the year for a syslog time, whose format has none.
    public static func parse(_ line: UnsafeRawBufferPointer, year: Int64) -> Int64? {
        var cache = Cache()
        return parse(line, year: year, cache: &cache)
    }

    /// The minute of the last `YYYY-MM-DD[T ]hh:mm` parsed: the lines of a log share it for a minute, and then only
    /// the seconds, the fraction and the zone are read.
    public struct Cache: Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        /// Seconds since the epoch at that minute's start, before the zone.
        var minute: Int64 = 0
        var valid = false

        public init() {}

        init(low: UInt64, high: UInt64, minute: Int64, valid: Bool) {
            (self.low, self.high, self.minute, self.valid) = (low, high, minute, valid)
        }
    }

    /// ``parse(_:year:)`` with a cache of the last minute seen (one per pipeline: every plain line comes here).
    public static func parse(_ line: UnsafeRawBufferPointer, year: Int64, cache: inout Cache) -> Int64? {
        // The fields are read in place, with the lengths checked once.
        guard let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let n = line.count
        var i = 0
        if n > 0 && p[0] == UInt8(ascii: "[") { i = 1 }
        guard n - i >= 15 else { return nil }
        if cache.valid && n - i >= 19 {
            let raw = UnsafeRawPointer(p + i)
            if raw.loadUnaligned(as: UInt64.self) == cache.low
                && raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == cache.high
                && p[i + 16] == UInt8(ascii: ":"), let ss = two(p + i + 17), ss < 61
            {
                return zoned(p, n, from: i + 19, seconds: cache.minute + ss)
            }
        }
        let first = p[i]
        var y: Int64
        var mo: Int64
        var d: Int64
        var timeAt: Int
        if first &- 0x30 < 10 {
            guard n - i >= 19, let yy = four(p + i) else { return nil }
            let sep = p[i + 4]
            guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: "/"), p[i + 7] == sep,
                let mm = two(p + i + 5), let dd = two(p + i + 8)
            else { return nil }
            let t = p[i + 10]
            guard t == UInt8(ascii: "T") || t == UInt8(ascii: " ") else { return nil }
            (y, mo, d, timeAt) = (yy, mm, dd, i + 11)
        } else {
            // A month name starts with a capital letter and a space follows it: most lines with no time (frames,
            // indented code, messages) fail these two byte tests, before the name is looked up.
            guard first &- 0x41 < 26, p[i + 3] == 0x20, let month = monthIndex(line, at: i) else { return nil }
            let padded = p[i + 4] == 0x20
            let dayStart = padded ? i + 5 : i + 4
            let day: Int64?
            if padded {
                let digit = p[dayStart] &- 0x30
                day = digit < 10 ? Int64(digit) : nil
            } else {
                day = two(p + dayStart)
            }
            let dayEnd = dayStart + (padded ? 1 : 2)
            guard let dd = day, p[dayEnd] == 0x20 else { return nil }
            (y, mo, d, timeAt) = (year, month, dd, dayEnd + 1)
        }
        guard timeAt + 8 <= n, mo >= 1, mo <= 12, d >= 1, d <= 31, let hh = two(p + timeAt),
            p[timeAt + 2] == UInt8(ascii: ":"), let mi = two(p + timeAt + 3), p[timeAt + 5] == UInt8(ascii: ":"),
            let ss = two(p + timeAt + 6), hh < 24, mi < 60, ss < 61
        else { return nil }
        let days = Timestamp.daysFromCivil(year: y, month: mo, day: d)
        let minute = days * 86_400 + hh * 3600 + mi * 60
        if timeAt == i + 11 {
            let raw = UnsafeRawPointer(p + i)
            cache = Cache(
                low: raw.loadUnaligned(as: UInt64.self), high: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                minute: minute, valid: true)
        }
        return zoned(p, n, from: timeAt + 8, seconds: minute + ss)
    }

    /// The fraction and zone after the seconds at `from`, applied to `seconds`.
    @inline(__always)
    private static func zoned(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, seconds: Int64) -> Int64? {
        var k = from
        var fraction: Int64 = 0
        if k < n && (p[k] == UInt8(ascii: ".") || p[k] == UInt8(ascii: ",")) {
            k += 1
            var scale: Int64 = 100_000_000
            while k < n {
                let digit = p[k] &- 0x30
                guard digit < 10 else { break }
                fraction += Int64(digit) * scale
                scale /= 10
                k += 1
            }
        }
        var offset: Int64 = 0
        if k < n {
            let z = p[k]
            if (z == UInt8(ascii: "+") || z == UInt8(ascii: "-")) && k + 3 <= n, let oh = two(p + k + 1) {
                var om: Int64 = 0
                if k + 6 <= n, p[k + 3] == UInt8(ascii: ":"), let m = two(p + k + 4) {
                    om = m
                } else if k + 5 <= n, let m = two(p + k + 3) {
                    om = m
                }
                offset = (oh * 60 + om) * 60 * (z == UInt8(ascii: "+") ? 1 : -1)
            }
        }
        // Nanoseconds since 1970 in an Int64 end in April 2262: a later year (a log can print anything) is no
        // timestamp, not a crash.
        let (nanoseconds, overflow) = (seconds - offset).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, nanoseconds <= Int64.max - fraction else { return nil }
        return nanoseconds + fraction
    }

    /// Two decimal digits at `p` (the caller checked they are in the line), or nil.
    @inline(__always)
    private static func two(_ p: UnsafePointer<UInt8>) -> Int64? {
        let a = p[0] &- 0x30
        let b = p[1] &- 0x30
        guard a < 10 && b < 10 else { return nil }
        return Int64(a) * 10 + Int64(b)
    }

    @inline(__always)
    private static func four(_ p: UnsafePointer<UInt8>) -> Int64? {
        guard let high = two(p), let low = two(p + 2) else { return nil }
        return high * 100 + low
    }

    private static func monthIndex(_ line: UnsafeRawBufferPointer, at i: Int) -> Int64? {
        guard i + 3 <= line.count else { return nil }
        // The three letters as one number (no table built per call: this runs on every untimed line of a replay).
        let name = UInt32(line[i]) << 16 | UInt32(line[i + 1]) << 8 | UInt32(line[i + 2])
        switch name {
        case 0x4A_616E: return 1  // Jan
        case 0x46_6562: return 2  // Feb
        case 0x4D_6172: return 3  // Mar
        case 0x41_7072: return 4  // Apr
        case 0x4D_6179: return 5  // May
        case 0x4A_756E: return 6  // Jun
        case 0x4A_756C: return 7  // Jul
        case 0x41_7567: return 8  // Aug
        case 0x53_6570: return 9  // Sep
        case 0x4F_6374: return 10  // Oct
        case 0x4E_6F76: return 11  // Nov
        case 0x44_6563: return 12  // Dec
        default: return nil
        }
    }
}
