/// UTF-8 facts about raw bytes, shared by the stages that must not split or mis-read a character.
public enum UTF8Bytes {
    /// The length of the valid UTF-8 sequence at `index` (a byte ≥ 0x80), or minus the length of its maximal invalid
    /// subpart (Unicode 15, table 3-7: the longest prefix of a well-formed sequence, or one byte).
    @inlinable @inline(__always)
    public static func sequenceLength(_ base: UnsafePointer<UInt8>, at index: Int, end: Int) -> Int {
        let lead = base[index]
        let continuationCount: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: continuationCount = 1
        case 0xE0:
            continuationCount = 2
            low = 0xA0  // shorter forms are overlong
        case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
        case 0xED:
            continuationCount = 2
            high = 0x9F  // ED A0...ED BF encode surrogates
        case 0xF0:
            continuationCount = 3
            low = 0x90  // shorter forms are overlong
        case 0xF1...0xF3: continuationCount = 3
        case 0xF4:
            continuationCount = 3
            high = 0x8F  // above U+10FFFF otherwise
        default:
            return -1  // a continuation byte, C0, C1 or F5...FF: never valid here
        }
        guard index + 1 < end else { return -1 }
        let second = base[index + 1]
        guard second >= low && second <= high else { return -1 }
        var offset = 2
        while offset <= continuationCount {
            guard index + offset < end,
                base[index + offset] & 0xC0 == 0x80
            else { return -offset }
            offset += 1
        }
        return continuationCount + 1
    }

    /// Where to cut a text longer than `limit` so that no UTF-8 character is split: `limit` itself unless the byte
    /// there continues a character, else the start of that character if it is at most three bytes back and not at 0
    /// (a cut never leaves nothing: for bytes that are not UTF-8, `limit`). `byte(i)` must answer for `0...limit`.
    @inlinable @inline(__always)
    public static func cut(atMost limit: Int, byte: (Int) -> UInt8) -> Int {
        var cut = limit
        while cut > 0 && limit - cut < 3 && byte(cut) & 0xC0 == 0x80 { cut -= 1 }
        if cut == 0 || byte(cut) & 0xC0 == 0x80 { return limit }
        return cut
    }
}
