import WeftCore

extension JSONString {
    /// Appends `bytes` escaped (without the surrounding quotes) to a raw buffer: the escaping of the JSON lines, for
    /// encoders in other modules (OTLP/JSON) that write into a ``RawBuffer`` on their hot path.
    ///
    /// - Returns: true if invalid UTF-8 was replaced with U+FFFD.
    @discardableResult
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout RawBuffer) -> Bool {
        escape(bytes, into: &out)
    }

    /// Appends the escaped UTF-8 of `string` (always valid, so never replaced) to a raw buffer.
    public static func appendEscaped(_ string: String, to out: inout RawBuffer) {
        escape(string, to: &out)
    }
}
