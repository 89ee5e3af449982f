import WeftCore

/// Formats timestamps, keeping the date and time of the last second seen (`2026-03-14T09:00:01.`) so that records
/// from the same second only format their nine fractional digits.
struct SecondCache {
    private var secondStart = Timestamp.none
    /// The 20 bytes `YYYY-MM-DDTHH:MM:SS.` of `secondStart`, held inline (no reference counting on the hot path).
    private var prefix: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// The last instant written and its 30 bytes: records read together often share their observed time.
    private var lastNanos = Timestamp.none
    private var lastText: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Where a new second is formatted (kept to avoid allocating on every new second).
    private var scratch: [UInt8] = []

    static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Appends `nanos` as RFC 3339 UTC with nine fractional digits, without quotes.
    @inline(__always)
    mutating func write(_ nanos: Int64, to out: inout RawBuffer) {
        if nanos == lastNanos && nanos != Timestamp.none {
            withUnsafeBytes(of: &lastText) { out.write($0.baseAddress.unsafelyUnwrapped, count: 30) }
        } else {
            format(nanos, to: &out)
        }
    }

    @inline(never)
    private mutating func format(_ nanos: Int64, to out: inout RawBuffer) {
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
        if start != secondStart { formatSecond(start) }
        var text: (UInt64, UInt64, UInt64, UInt64) = (prefix.0, prefix.1, prefix.2, 0)
        withUnsafeMutableBytes(of: &text) { bytes in
            // Nine digits as three groups of three, computed side by side (one chain of divisions by 100 was four
            // dependent steps long); each group is a digit and a pair from a table of "00"..."99".
            let pairs = Self.digitPairs.utf8Start
            let base = bytes.baseAddress.unsafelyUnwrapped
            let digits = UInt32(truncatingIfNeeded: fraction)
            let thousands = digits / 1000
            let groups = (thousands / 1000, thousands % 1000, digits % 1000)
            @inline(__always) func three(_ group: UInt32, at offset: Int) {
                let pair = Int(group % 100)
                base.storeBytes(
                    of: UInt8(truncatingIfNeeded: 0x30 &+ group / 100), toByteOffset: offset, as: UInt8.self)
                base.storeBytes(of: pairs[2 &* pair], toByteOffset: offset &+ 1, as: UInt8.self)
                base.storeBytes(of: pairs[2 &* pair &+ 1], toByteOffset: offset &+ 2, as: UInt8.self)
            }
            three(groups.0, at: 20)
            three(groups.1, at: 23)
            three(groups.2, at: 26)
            base.storeBytes(of: UInt8(ascii: "Z"), toByteOffset: 29, as: UInt8.self)
            out.write(base, count: 30)
        }
        lastNanos = nanos
        lastText = text
    }

    private mutating func formatSecond(_ start: Int64) {
        scratch.removeAll(keepingCapacity: true)
        Timestamp.appendRFC3339(start, to: &scratch)
        withUnsafeMutableBytes(of: &prefix) { bytes in
            scratch.withUnsafeBytes { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<20])) }
        }
        secondStart = start
    }
}
