import Testing
import WeftCore
import WeftOutput
import WeftTestSupport

@Suite struct TimestampTests {
    @Test(
        arguments: [
            (0, "1970-01-01T00:00:00.000000000Z"),
            (-1, "1969-12-31T23:59:59.999999999Z"),
            (-1_000_000_000, "1969-12-31T23:59:59.000000000Z"),
            (951_782_400_123_456_789, "2000-02-29T00:00:00.123456789Z"),
            (Int64.max, "2262-04-11T23:47:16.854775807Z"),
            (Int64.min + 1, "1677-09-21T00:12:43.145224193Z"),
            (Int64.min + 1_000_000_000, "1677-09-21T00:12:44.145224192Z"),
        ] as [(Int64, String)])
    func knownInstants(nanos: Int64, expected: String) {
        #expect(Timestamp.rfc3339(nanos) == expected)
        // The encoder's per-second cache must agree, including at the ends of the range.
        let out = encode(body: []) { $0.time = nanos }
        #expect(String(decoding: out, as: UTF8.self).hasPrefix(#"{"timestamp":"\#(expected)""#))
    }

    @Test(
        arguments: [
            (2000, 2, 29, "2000-02-29"),  // divisible by 400: leap
            (1900, 3, 1, "1900-03-01"),  // divisible by 100 only: not leap
            (2100, 3, 1, "2100-03-01"),
            (2024, 2, 29, "2024-02-29"),
            (2023, 3, 1, "2023-03-01"),
            (1969, 12, 31, "1969-12-31"),
            (1904, 2, 29, "1904-02-29"),
            (1800, 1, 1, "1800-01-01"),
        ] as [(Int64, Int64, Int64, String)])
    func calendarDates(year: Int64, month: Int64, day: Int64, expected: String) {
        #expect(Timestamp.rfc3339(nanos(year, month, day, 23, 59, 58)) == expected + "T23:59:58.000000000Z")
    }

    @Test func daysAfterFebruary28() {
        // 1900 is not a leap year, 2000 is: the day after 28 February differs.
        #expect(Timestamp.rfc3339(nanos(1900, 2, 28) + 86_400_000_000_000).hasPrefix("1900-03-01"))
        #expect(Timestamp.rfc3339(nanos(2000, 2, 28) + 86_400_000_000_000).hasPrefix("2000-02-29"))
    }

    @Test func everyDayRoundTripsFrom1680To2260() {
        var expectedDays = Timestamp.daysFromCivil(year: 1680, month: 1, day: 1)
        for year: Int64 in 1680...2260 {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            for month: Int64 in 1...12 {
                for day: Int64 in [1, lengths[Int(month) - 1]] {
                    let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
                    if day == 1 { #expect(days == expectedDays) }
                    let date =
                        String(year) + "-" + (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "")
                        + String(day)
                    #expect(Timestamp.rfc3339(days * 86_400_000_000_000).hasPrefix(date + "T00:00:00"))
                }
                expectedDays += lengths[Int(month) - 1]
            }
        }
    }

    @Test func cachedSecondsMatchTheDirectFormatting() {
        var random = SplitMix64(seed: 42)
        var encoder = JSONLinesEncoder()
        var time = nanos(1969, 12, 31, 23, 59, 50)
        for _ in 0..<2000 {
            // Mostly small steps (same second, cache hits), sometimes jumps anywhere, before and after 1970.
            if random.next() % 50 == 0 {
                time = Int64.random(in: -5_000_000_000_000_000_000...5_000_000_000_000_000_000, using: &random)
            } else {
                time += Int64.random(in: -300_000_000...700_000_000, using: &random)
            }
            let out = encode(body: [], encoder: &encoder) { $0.time = time }
            #expect(String(decoding: out.prefix(45), as: UTF8.self) == #"{"timestamp":"\#(Timestamp.rfc3339(time))""#)
        }
    }
}
