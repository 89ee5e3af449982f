import WeftCore

/// Parses RFC 3339 timestamps (`2026-03-14T09:00:01.123456789Z`, `2026-03-14T10:00:01.5+01:00`) straight from bytes.
///
/// Both styles the container runtimes write are accepted: Go's `RFC3339Nano` with a `Z` (Docker, containerd on a UTC
/// node) and a numeric offset with nine fractional digits (CRI-O, containerd on a node in another zone). The result
/// is nanoseconds since the Unix epoch, UTC, the representation every stage uses (``WeftCore/Timestamp``).
///
/// ```swift
/// let nanos = "2026-03-14T09:00:01.5Z".utf8.withContiguousStorageIfAvailable {
///     RFC3339.parse(UnsafeRawBufferPointer($0))
/// }
/// ```
///
/// Accepted: a four-digit year, `T` or `t` between date and time, 0 or more fractional digits after a `.` (at least
/// one digit once the `.` is there; digits after the ninth are ignored, not rounded), `Z`, `z` or `±hh:mm`. Second
/// `60` (a leap second) is accepted and lands on the first second of the next minute. Nothing may follow the zone.
public enum RFC3339 {
    /// The nanoseconds since the Unix epoch (UTC) that `bytes` denote, or nil if they are not one RFC 3339 timestamp
    /// (or lie outside what an `Int64` of nanoseconds can hold, roughly years 1678–2262).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var cache = DayCache()
        return parseDetailed(bytes, cache: &cache)?.nanos
    }

    /// The day number of the last date parsed: consecutive lines nearly always share their date, so its digits are
    /// compared as two loads instead of being parsed, checked against the calendar and converted again.
    struct DayCache {
        var date: UInt64 = 0
        var dateTail: UInt16 = 0
        var days: Int64 = 0
        var isValid = false
    }

    /// A parsed timestamp plus how it was written, which tells the CRI runtimes apart.
    struct Parsed {
        var nanos: Int64
        /// Digits after the `.` as written (0 when there is no fraction).
        var fractionDigits: Int
        /// True for `±hh:mm`, false for `Z`.
        var hasNumericOffset: Bool
    }

    @inline(__always)
    static func parseDetailed(_ bytes: UnsafeRawBufferPointer, cache: inout DayCache) -> Parsed? {
        let n = bytes.count
        // "YYYY-MM-DDTHH:MM:SSZ" is the shortest form.
        guard n >= 20 else { return nil }
        // Invalid characters are collected in `bad` and checked once, so the common path has few branches.
        var bad = false
        @inline(__always) func digit(_ i: Int) -> Int64 {
            let d = bytes[i] &- 0x30
            bad = bad || d > 9
            return Int64(d)
        }
        @inline(__always) func expect(_ i: Int, _ c: UInt8) {
            bad = bad || bytes[i] != c
        }
        let date = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        let dateTail = bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let days: Int64
        if cache.isValid && cache.date == date && cache.dateTail == dateTail {
            days = cache.days
        } else {
            let year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
            expect(4, UInt8(ascii: "-"))
            let month = digit(5) * 10 + digit(6)
            expect(7, UInt8(ascii: "-"))
            let day = digit(8) * 10 + digit(9)
            guard !bad, month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else {
                return nil
            }
            days = Timestamp.daysFromCivil(year: year, month: month, day: day)
            cache = DayCache(date: date, dateTail: dateTail, days: days, isValid: true)
        }
        bad = bad || (bytes[10] | 0x20) != UInt8(ascii: "t")
        let hour = digit(11) * 10 + digit(12)
        expect(13, UInt8(ascii: ":"))
        let minute = digit(14) * 10 + digit(15)
        expect(16, UInt8(ascii: ":"))
        let second = digit(17) * 10 + digit(18)
        guard !bad, hour <= 23, minute <= 59, second <= 60 else { return nil }

        var i = 19
        var fraction: Int64 = 0
        var fractionDigits = 0
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = bytes[i] &- 0x30
                if d > 9 { break }
                if fractionDigits < 9 { fraction = fraction * 10 + Int64(d) }
                fractionDigits += 1
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
            var scale = fractionDigits
            while scale < 9 {
                fraction *= 10
                scale += 1
            }
        }
        guard i < n else { return nil }

        var offsetSeconds: Int64 = 0
        let hasNumericOffset: Bool
        let zone = bytes[i]
        if zone | 0x20 == UInt8(ascii: "z") {
            guard i + 1 == n else { return nil }
            hasNumericOffset = false
        } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
            guard i + 6 == n else { return nil }
            let offsetHours = digit(i + 1) * 10 + digit(i + 2)
            expect(i + 3, UInt8(ascii: ":"))
            let offsetMinutes = digit(i + 4) * 10 + digit(i + 5)
            guard !bad, offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offsetSeconds = offsetHours * 3600 + offsetMinutes * 60
            if zone == UInt8(ascii: "-") { offsetSeconds = -offsetSeconds }
            hasNumericOffset = true
        } else {
            return nil
        }

        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (nanos, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow2, nanos != Timestamp.none else { return nil }
        return Parsed(nanos: nanos, fractionDigits: fractionDigits, hasNumericOffset: hasNumericOffset)
    }

    @inline(__always)
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
