/// JSON strings written the way Docker (moby, in Go) writes them, for tests that build json-file lines.
public enum GoJSON {
    /// A JSON string (with its quotes) as moby's `ffjsonWriteJSONBytesAsString` writes Docker's `log`: `"` `\` `\n`
    /// `\r` escaped, other bytes below 0x20 and `<` `>` `&` as `\u00XX`, U+2028/U+2029 as `\u202X`, each byte that
    /// does not start valid UTF-8 as `\ufffd`.
    public static func quoted(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [0x22]
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case 0x22, 0x5C: out += [0x5C, b]
                case 0x0A: out += Array("\\n".utf8)
                case 0x0D: out += Array("\\r".utf8)
                case 0x3C, 0x3E, 0x26, 0x00..<0x20:
                    out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                default: out.append(b)
                }
                i += 1
                continue
            }
            let length = runeLength(bytes, i)
            if length == 0 {
                out += Array("\\ufffd".utf8)
                i += 1
            } else if length == 3 && b == 0xE2 && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
            {
                out += Array("\\u202".utf8) + [bytes[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9")]
                i += 3
            } else {
                out += bytes[i..<i + length]
                i += length
            }
        }
        out.append(0x22)
        return out
    }

    /// What ``quoted(_:)`` denotes once decoded: each invalid byte replaced by U+FFFD.
    public static func sanitized(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] < 0x80 {
                out.append(bytes[i])
                i += 1
                continue
            }
            let length = runeLength(bytes, i)
            if length == 0 {
                out += [0xEF, 0xBF, 0xBD]
                i += 1
            } else {
                out += bytes[i..<i + length]
                i += length
            }
        }
        return out
    }

    /// Go's `utf8.DecodeRune` size for a sequence at `i` (first byte >= 0x80), 0 for `RuneError` of size 1.
    static func runeLength(_ s: [UInt8], _ i: Int) -> Int {
        func inRange(_ k: Int, _ low: UInt8, _ high: UInt8) -> Bool {
            i + k < s.count && s[i + k] >= low && s[i + k] <= high
        }
        let b = s[i]
        let (length, low, high): (Int, UInt8, UInt8)
        switch b {
        case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
        case 0xED: (length, low, high) = (3, 0x80, 0x9F)
        case 0xE1...0xEF: (length, low, high) = (3, 0x80, 0xBF)
        case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
        case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
        case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
        default: return 0
        }
        guard inRange(1, low, high) else { return 0 }
        for k in 2..<length where !inRange(k, 0x80, 0xBF) { return 0 }
        return length
    }

    /// A JSON string (with its quotes) for `text`, as Docker writes it.
    public static func quoted(_ text: String) -> String {
        String(decoding: quoted(Array(text.utf8)), as: UTF8.self)
    }
}
