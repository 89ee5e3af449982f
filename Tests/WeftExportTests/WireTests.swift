import Testing
import WeftCore

@testable import WeftExport

@Suite struct WireTests {
    /// Every length a varint can take, at both sides of each boundary, against the reference rule.
    @Test func varintsAtEveryBoundary() {
        var values: [UInt64] = [0, 1, .max]
        for bits in stride(from: 7, to: 64, by: 7) {
            values += [(1 << UInt64(bits)) - 1, 1 << UInt64(bits)]
        }
        for value in values {
            var reference: [UInt8] = []
            var rest = value
            repeat {
                reference.append(UInt8(rest & 0x7F) | (rest >= 0x80 ? 0x80 : 0))
                rest >>= 7
            } while rest != 0
            #expect(ProtobufWire.varintSize(value) == reference.count, "\(value)")
            var buffer = RawBuffer(capacity: 16)
            buffer.reserve(10)
            var cursor = WireCursor(buffer.base)
            cursor.varint(value)
            let written = UnsafeMutableRawPointer(cursor.pointer) - buffer.base
            buffer.advance(by: written)
            #expect(Array(buffer.bytes) == reference, "\(value)")
        }
        #expect(ProtobufWire.varintSize(-1) == 10, "a negative int64 takes ten bytes")
        #expect(ProtobufWire.fieldSize(2_097_151) == 1 + 3 + 2_097_151)
        #expect(ProtobufWire.fieldSize(2_097_152) == 1 + 4 + 2_097_152)
    }

    /// The repair's measure and copy agree with each other and with the JSON lines' rule (one U+FFFD per maximal
    /// invalid subpart), at every alignment of the eight-byte ASCII skip.
    @Test func repairMeasuresWhatItCopies() {
        let cases: [[UInt8]] = [
            [], [0x41], [0xFF], [0xC3], [0xC3, 0xA9], [0xE2, 0x82], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98],
            [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80, 0x80],
        ]
        for prefix in 0..<40 {
            for bad in cases {
                let input = Array(repeating: UInt8(ascii: "a"), count: prefix) + bad + Array("tail".utf8)
                let expected = Array(String(decoding: input, as: UTF8.self).utf8)
                input.withUnsafeBytes { bytes in
                    let measured = UTF8Repair.measure(bytes)
                    var out = [UInt8](repeating: 0, count: input.count * 3 + 1)
                    let written = out.withUnsafeMutableBufferPointer {
                        UTF8Repair.copyRepairing(bytes, to: $0.baseAddress!)
                    }
                    #expect(measured.count == written)
                    #expect(measured.valid == (expected == input))
                    #expect(Array(out.prefix(written)) == expected, "\(prefix) + \(bad)")
                }
            }
        }
    }
}
