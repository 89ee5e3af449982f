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
        var i = 0
        let n = line.count
        if n > 0 && line[0] == UInt8(ascii: "[") { i = 1 }
        guard n - i >= 15 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int64? {
            guard at + count <= n else { return nil }
            var value: Int64 = 0
            for k in at..<(at + count) {
                let d = line[k] &- 0x30
                guard d < 10 else { return nil }
                value = value * 10 + Int64(d)
            }
            return value
        }
        let first = line[i]
        var y: Int64, mo: Int64, d: Int64, timeAt: Int
        if first >= 0x30 && first <= 0x39 {
            guard let yy = digits(i, 4), i + 10 <= n else { return nil }
            let sep = line[i + 4]
            guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: "/"), line[i + 7] == sep,
                let mm = digits(i + 5, 2), let dd = digits(i + 8, 2), i + 19 <= n
            else { return nil }
            let t = line[i + 10]
            guard t == UInt8(ascii: "T") || t == UInt8(ascii: " ") else { return nil }
            (y, mo, d, timeAt) = (yy, mm, dd, i + 11)
        } else {
            guard let month = monthIndex(line, at: i), line[i + 3] == 0x20 else { return nil }
            let dayStart = line[i + 4] == 0x20 ? i + 5 : i + 4
            let dayCount = line[i + 4] == 0x20 ? 1 : 2
            guard let dd = digits(dayStart, dayCount), line[dayStart + dayCount] == 0x20 else { return nil }
            (y, mo, d, timeAt) = (year, month, dd, dayStart + dayCount + 1)
        }
        guard (1...12).contains(mo), (1...31).contains(d), let hh = digits(timeAt, 2), timeAt + 8 <= n,
            line[timeAt + 2] == UInt8(ascii: ":"), let mi = digits(timeAt + 3, 2),
            line[timeAt + 5] == UInt8(ascii: ":"), let ss = digits(timeAt + 6, 2), hh < 24, mi < 60, ss < 61
        else { return nil }
        var k = timeAt + 8
        var fraction: Int64 = 0
        if k < n && (line[k] == UInt8(ascii: ".") || line[k] == UInt8(ascii: ",")) {
            k += 1
            var scale: Int64 = 100_000_000
            while k < n, line[k] &- 0x30 < 10 {
                if scale > 0 {
                    fraction += Int64(line[k] &- 0x30) * scale
                    scale /= 10
                }
                k += 1
            }
        }
        var offset: Int64 = 0
        if k < n {
            let z = line[k]
            if z == UInt8(ascii: "Z") {
                offset = 0
            } else if (z == UInt8(ascii: "+") || z == UInt8(ascii: "-")), let oh = digits(k + 1, 2) {
                var om: Int64 = 0
                if k + 6 <= n, line[k + 3] == UInt8(ascii: ":"), let m = digits(k + 4, 2) {
                    om = m
                } else if let m = digits(k + 3, 2) {
                    om = m
                }
                offset = (oh * 60 + om) * 60 * (z == UInt8(ascii: "+") ? 1 : -1)
            }
        }
        let days = Timestamp.daysFromCivil(year: y, month: mo, day: d)
        let seconds = days * 86_400 + hh * 3600 + mi * 60 + ss - offset
        return seconds * 1_000_000_000 + fraction
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
