import WeftCore

/// Formats timestamps, keeping the date and time of the last second seen (`2026-03-14T09:00:01.`) so that records
/// from the same second only format their nine fractional digits.
struct SecondCache {
    private var secondStart = Timestamp.none
    /// The 20 bytes `YYYY-MM-DDTHH:MM:SS.` of `secondStart`, held inline (no reference counting on the hot path).
    private var prefix: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// Where a new second is formatted (kept to avoid allocating on every new second).
    private var scratch: [UInt8] = []

    /// Appends `nanos` as RFC 3339 UTC with nine fractional digits, without quotes.
    mutating func write(_ nanos: Int64, to out: inout RawBuffer) {
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000 }
        let (start, overflow) = nanos.subtractingReportingOverflow(fraction)
        if overflow || start == Timestamp.none {
            // The first second of the Int64 range: too rare to cache.
            scratch.removeAll(keepingCapacity: true)
            Timestamp.appendRFC3339(nanos, to: &scratch)
            scratch.withUnsafeBytes { out.write($0.baseAddress.unsafelyUnwrapped, count: $0.count) }
            return
        }
        if start != secondStart { format(start) }
        var text: (UInt64, UInt64, UInt64, UInt64) = (prefix.0, prefix.1, prefix.2, 0)
        withUnsafeMutableBytes(of: &text) { bytes in
            var rest = UInt32(truncatingIfNeeded: fraction)
            for index in 0..<9 {
                bytes[28 - index] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            }
            bytes[29] = UInt8(ascii: "Z")
            out.write(bytes.baseAddress.unsafelyUnwrapped, count: 30)
        }
    }

    private mutating func format(_ start: Int64) {
        scratch.removeAll(keepingCapacity: true)
        Timestamp.appendRFC3339(start, to: &scratch)
        withUnsafeMutableBytes(of: &prefix) { bytes in
            scratch.withUnsafeBytes { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<20])) }
        }
        secondStart = start
    }
}
