/// Walks protobuf wire format strictly: every tag, varint and length must stay inside its message. Used to read the
/// bodies back out of an OTLP `ExportLogsServiceRequest` without a protobuf library.
struct ProtobufReader {
    struct Malformed: Error { var message: String }

    enum Value {
        case varint(UInt64)
        case fixed64
        case bytes(ArraySlice<UInt8>)
        case fixed32
    }

    /// The fields of one message, in order.
    static func fields(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [(number: Int, value: Value)] {
        var fields: [(Int, Value)] = []
        var index = bytes.startIndex
        func varint() throws(Malformed) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.endIndex else { throw Malformed(message: "varint runs past its message") }
                guard shift < 64 else { throw Malformed(message: "varint longer than ten bytes") }
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while index < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            guard number > 0 else { throw Malformed(message: "field number 0") }
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1:
                guard bytes.endIndex - index >= 8 else { throw Malformed(message: "fixed64 runs past its message") }
                index += 8
                fields.append((number, .fixed64))
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - index) else {
                    throw Malformed(message: "length \(length) runs past its message")
                }
                fields.append((number, .bytes(bytes[index..<index + Int(length)])))
                index += Int(length)
            case 5:
                guard bytes.endIndex - index >= 4 else { throw Malformed(message: "fixed32 runs past its message") }
                index += 4
                fields.append((number, .fixed32))
            default: throw Malformed(message: "wire type \(key & 7)")
            }
        }
        return fields
    }

    /// The embedded messages (or strings) of field `number`.
    static func messages(_ number: Int, in bytes: ArraySlice<UInt8>) throws(Malformed) -> [ArraySlice<UInt8>] {
        try fields(bytes).compactMap { field in
            guard field.number == number, case .bytes(let value) = field.value else { return nil }
            return value
        }
    }

    /// Every log record's body string in an `ExportLogsServiceRequest`: resource_logs (1) → scope_logs (2) →
    /// log_records (2) → body (5) → string_value (1).
    static func logBodies(_ request: [UInt8]) throws(Malformed) -> [String] {
        var bodies: [String] = []
        for resource in try messages(1, in: request[...]) {
            for scope in try messages(2, in: resource) {
                for record in try messages(2, in: scope) {
                    for body in try messages(5, in: record) {
                        for text in try messages(1, in: body) {
                            guard let string = String(validating: text, as: UTF8.self) else {
                                throw Malformed(message: "a string field that is not valid UTF-8")
                            }
                            bodies.append(string)
                        }
                    }
                }
            }
        }
        return bodies
    }
}
