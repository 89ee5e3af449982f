import Testing
import WeftTestSupport

@testable import WeftOutput

@Suite struct JSONStringTests {
    @Test func shortEscapes() {
        let (text, replaced) = escaped(Array("\"\\\n\r\t\u{8}\u{C}".utf8))
        #expect(text == #"\"\\\n\r\t\b\f"#)
        #expect(!replaced)
    }

    @Test func otherControlBytesAndDeleteUseUnicodeEscapes() {
        let short: [UInt8: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        for byte in UInt8(0)...0x1F {
            let expected = short[byte] ?? "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            #expect(escaped([byte]).0 == expected, "byte \(byte)")
        }
        #expect(escaped([0x7F]).0 == #"\u007f"#)
        #expect(escaped([0x00, 0x41, 0x1F]).0 == #"\u0000A\u001f"#)
    }

    @Test func printableASCIIPassesThrough() {
        let ascii = (UInt8(0x20)...0x7E).filter { $0 != 0x22 && $0 != 0x5C }
        #expect(escaped(ascii).0 == String(decoding: ascii, as: UTF8.self))
    }

    @Test(arguments: [
        "é", "€", "😀", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFD}", "\u{FFFF}", "\u{10000}",
        "\u{10FFFF}", "日本語のログ", "mixed ascii and ünïcödé ✓ 🚀 text",
    ])
    func validUTF8PassesThroughRaw(text: String) {
        let (out, replaced) = escaped(Array(text.utf8))
        #expect(out == text)
        #expect(!replaced)
    }

    /// Invalid UTF-8, and how many U+FFFD each becomes (one per maximal invalid subpart), with what survives.
    @Test(
        arguments: [
            ([0x80], "�"),  // lone continuation byte
            ([0xBF, 0x41], "�A"),
            ([0xC0, 0x80], "��"),  // overlong NUL
            ([0xC1, 0xBF], "��"),  // overlong
            ([0xE0, 0x80, 0x80], "���"),  // overlong three-byte
            ([0xE0, 0x9F, 0xBF], "���"),  // overlong U+07FF
            ([0xF0, 0x80, 0x80, 0x80], "����"),  // overlong four-byte
            ([0xF0, 0x8F, 0xBF, 0xBF], "����"),  // overlong U+FFFF
            ([0xED, 0xA0, 0x80], "���"),  // surrogate U+D800
            ([0xED, 0xBF, 0xBF], "���"),  // surrogate U+DFFF
            ([0xF4, 0x90, 0x80, 0x80], "����"),  // U+110000
            ([0xF5, 0x80, 0x80, 0x80], "����"),  // beyond any plane
            ([0xFE], "�"), ([0xFF], "�"),
            ([0xC3], "�"),  // cut short at the end
            ([0xE2, 0x82], "�"),
            ([0xF0, 0x9F, 0x98], "�"),
            ([0xE2, 0x82, 0x41], "�A"),  // cut short before ASCII
            ([0xF0, 0x9F, 0x98, 0x22], "�\\\""),  // cut short before a quote
            ([0xC3, 0xC3, 0xA9], "�é"),  // a new lead byte ends the subpart
            ([0x41, 0xE2, 0x82, 0xAC, 0xFF, 0x42], "A€�B"),
        ] as [([UInt8], String)])
    func invalidUTF8IsReplacedPerMaximalSubpart(bytes: [UInt8], expected: String) {
        let (out, replaced) = escaped(bytes)
        #expect(out == expected)
        #expect(replaced)
        #expect(out == String(decoding: bytes, as: UTF8.self).replacingQuotes())
    }

    @Test func longInputsUseEveryAlignment() {
        // Specials at every offset of the eight-byte scan, in runs longer than a word.
        for offset in 0..<24 {
            for special: [UInt8] in [[0x22], [0x5C], [0x0A], [0x7F], [0x1F], [0xC3, 0xA9], [0xFF]] {
                var bytes = [UInt8](repeating: 0x61, count: 24)
                bytes.insert(contentsOf: special, at: offset)
                let (out, _) = escaped(bytes)
                let (expectedSpecial, _) = escaped(special)
                let expected =
                    String(repeating: "a", count: offset) + expectedSpecial
                    + String(repeating: "a", count: 24 - offset)
                #expect(out == expected)
            }
        }
    }
}

/// The escaping rules applied the slow obvious way, on Swift's own UTF-8 repair (which also replaces each maximal
/// invalid subpart with one U+FFFD).
func referenceEscape(_ bytes: [UInt8]) -> String {
    let short: [Unicode.Scalar: String] = ["\"": #"\""#, "\\": #"\\"#, "\n": #"\n"#, "\r": #"\r"#, "\t": #"\t"#]
    var result = ""
    for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
        if let escape = short[scalar] {
            result += escape
        } else if scalar.value == 0x08 {
            result += #"\b"#
        } else if scalar.value == 0x0C {
            result += #"\f"#
        } else if scalar.value < 0x20 || scalar.value == 0x7F {
            result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

extension JSONStringTests {
    @Test(arguments: [1, 2, 3, 4])
    func matchesTheReferenceOnRandomBytes(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<3000 {
            // Mostly clean text with a few bytes of every kind, at every length around the scan's word sizes.
            let count = Int.random(in: 0...70, using: &random)
            let bytes = (0..<count).map { _ -> UInt8 in
                switch random.next() % 10 {
                case 0: UInt8.random(in: 0...255, using: &random)
                case 1:
                    [0x22, 0x5C, 0x0A, 0x7F, 0x00, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F][Int(random.next() % 12)]
                default: UInt8.random(in: 0x20...0x7E, using: &random)
                }
            }
            let (out, replaced) = escaped(bytes)
            #expect(out == referenceEscape(bytes), "\(bytes)")
            #expect(replaced == (String(validating: bytes, as: UTF8.self) == nil))
        }
    }
}

extension JSONStringTests {
    @Test func charactersAcrossPieceBoundariesStayWhole() {
        // Bodies are escaped in pieces of `JSONString.pieceSize` bytes; a character (or an invalid sequence) that
        // starts near the end of a piece must come out exactly as if there were no pieces.
        let piece = JSONString.pieceSize
        let specials: [[UInt8]] = [
            [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xF0, 0x9F, 0x98], [0xE2, 0x82], [0xFF],
            [0x22], [0x0A],
        ]
        for boundary in [piece, 2 * piece] {
            for offset in (boundary - 5)...(boundary + 1) {
                for special in specials {
                    var bytes = [UInt8](repeating: 0x61, count: 2 * piece + 100)
                    bytes.replaceSubrange(offset..<(offset + special.count), with: special)
                    // A run of multibyte characters that crosses the boundary too.
                    bytes.replaceSubrange(
                        (boundary - 40)..<(boundary - 28), with: Array("éééééé".utf8))
                    let (out, replaced) = escaped(bytes)
                    #expect(out == referenceEscape(bytes), "special \(special) at \(offset)")
                    #expect(replaced == (String(validating: bytes, as: UTF8.self) == nil))
                }
            }
        }
    }

    @Test func bytesThatEndAtAPageBoundaryAreNeverReadPast() throws {
        // The vector scan reads whole 16-byte blocks where that cannot leave the page. Put the body's last byte at
        // the end of a readable page followed by an inaccessible one: a read past the end would crash the test.
        let page = try #require(GuardedPage())
        var random = SplitMix64(seed: 7)
        for count in 0...48 {
            let bytes = (0..<count).map { index -> UInt8 in
                index % 7 == 3
                    ? [0x22, 0x0A, 0xC3, 0xFF][Int(random.next() % 4)] : UInt8.random(in: 0x20...0x7E, using: &random)
            }
            var out: [UInt8] = []
            let replaced = JSONString.appendEscaped(page.placeAtEnd(bytes), to: &out)
            #expect(String(decoding: out, as: UTF8.self) == referenceEscape(bytes), "\(bytes)")
            #expect(replaced == (String(validating: bytes, as: UTF8.self) == nil))
        }
    }
}

extension String {
    /// The test tables write `"` escaped; Swift's own repair leaves it raw.
    fileprivate func replacingQuotes() -> String {
        var result = ""
        for character in self { result += character == "\"" ? "\\\"" : String(character) }
        return result
    }
}

extension JSONStringTests {
    /// The block step handles every special byte of a 16-byte block in one go when 32 bytes remain (JSON logged as
    /// text: a quote every few bytes): every pair of positions in such a block, with specials of every kind,
    /// including a multibyte character or an invalid byte after an escape.
    @Test func severalSpecialsInOneBlock() {
        let kinds: [[UInt8]] = [[0x22], [0x5C], [0x0A], [0x09], [0x01], [0x7F], [0xC3, 0xA9], [0xFF]]
        for first in 0..<16 {
            for second in (first + 1)..<16 {
                for kindA in kinds {
                    for kindB in kinds {
                        var bytes = Array("0123456789abcdef".utf8) + Array("ghijklmnopqrstuv".utf8)
                        bytes += Array("wxyzABCDEFGHIJKLMNOPQRSTUV".utf8)
                        bytes.replaceSubrange((16 + second)..<(16 + second + 1), with: kindB)
                        bytes.replaceSubrange((16 + first)..<(16 + first + 1), with: kindA)
                        let (out, _) = escaped(bytes)
                        #expect(out == referenceEscape(bytes), "\(first) \(second) \(kindA) \(kindB)")
                    }
                }
            }
        }
    }

    @Test func aLineOfJSONLoggedAsText() {
        let line = Array(
            #"{"ts":1764392400.005,"level":"debug","msg":"cache \"refresh\"","keys":4529,"path":"C:\\tmp","node":"é"}"#
                .utf8)
        let (out, replaced) = escaped(line)
        #expect(out == referenceEscape(line))
        #expect(out.hasPrefix(#"{\"ts\":1764392400.005,\"level\":\"debug\""#))
        #expect(!replaced)
    }
}
