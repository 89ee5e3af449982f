import WeftCore

/// Encodes records as an OTLP `ExportLogsServiceRequest` (opentelemetry-proto, `logs/v1`) in protobuf, the body of an
/// OTLP/HTTP `application/x-protobuf` request, written straight into a reused buffer.
///
/// Records are appended one at a time and grouped as the request wants them: one `ResourceLogs` per source (its
/// ``SourceInfo/resource`` as the resource's attributes), holding one `ScopeLogs` (scope `weft` and
/// ``scopeVersion``) with the source's `LogRecord`s in the order they were appended. Sources appear in the order of
/// their first record. A source whose description changes within a batch (or whose released id is reused) starts a
/// new `ResourceLogs`.
///
/// Each `LogRecord` says what the JSON lines of ``JSONLinesEncoder`` say of the same record:
///
/// | JSON lines | LogRecord |
/// | --- | --- |
/// | `timestamp` | `time_unix_nano` (absent, so 0, for ``Timestamp/none`` and times before 1970) |
/// | `observed_timestamp` | `observed_time_unix_nano` (the same) |
/// | `body` | `body`, a string `AnyValue`; invalid UTF-8 replaced with U+FFFD exactly as in the JSON lines |
/// | `attributes` | `attributes`, in the same order: `log.iostream`, `log.file.path`, the source's attributes (strings), `weft.parser` (string), `weft.lines` (int), `weft.flush_reason` (string), `weft.truncated` (bool), and `weft.malformed`, `weft.continuation`, `weft.invalid_utf8` (bools) when true |
/// | `resource` | the `ResourceLogs`' `resource.attributes` (an empty resource when there are none) |
///
/// plus `severity_number` and `severity_text` when ``Severity`` finds a level.
///
/// Each record is measured first (its body's length once repaired, its severity, its cached fragments), then written
/// once, lengths before contents, so nothing is encoded twice and nothing is moved. Each source's attributes and
/// resource and each parser's name are encoded once and copied per record. Once warm, appending allocates nothing.
///
/// ```swift
/// var encoder = OTLPLogsEncoder(scopeVersion: "0.1.0")
/// encoder.append(record, source: sources[record.source])   // for each record, while it is lent
/// if encoder.byteCount >= 1 << 20 {
///     let payload = encoder.finish()   // valid until the encoder is next used
///     send(payload)
/// }
/// ```
///
/// - Important: ``finish()``'s bytes belong to the encoder and are valid until its next mutating call.
public struct OTLPLogsEncoder {
    /// The `InstrumentationScope` version written with the scope name `weft`.
    public let scopeVersion: String

    private var batch = RecordBatch()
    private var fragments: SourceFragments
    /// Fixed fields: the scope, `log.iostream` per stream, `weft.flush_reason` per reason, the booleans.
    private var constants = RawBuffer(capacity: 1024)
    private let scope: Range<Int>
    private let iostream: (stdout: Range<Int>, stderr: Range<Int>)
    private let flushReasons: [Range<Int>]
    private let truncatedTrue: Range<Int>
    private let truncatedFalse: Range<Int>
    private let malformedTrue: Range<Int>
    private let continuationTrue: Range<Int>
    private let invalidUTF8True: Range<Int>
    /// The `weft.parser` attribute of a parser past ``SourceFragments/maxParsers`` names.
    private var scratch = RawBuffer(capacity: 256)
    private var output = RawBuffer(capacity: 1 << 16)
    private var payloadBytes = 0

    /// Record memory kept after ``finish()``; a larger buffer (left by a huge batch) is released.
    public static let retainedCapacity = 16 << 20

    public init(scopeVersion: String) {
        self.scopeVersion = scopeVersion
        fragments = SourceFragments(
            attributes: { info, out in
                if let path = info.path { Self.writeStringAttribute(field: 6, "log.file.path", path, to: &out) }
                for (key, value) in info.attributes { Self.writeStringAttribute(field: 6, key, value, to: &out) }
            },
            resource: { info, out in
                for (key, value) in info.resource { Self.writeStringAttribute(field: 1, key, value, to: &out) }
            },
            parser: { name, out in Self.writeStringAttribute(field: 6, "weft.parser", name, to: &out) }
        )
        var constants = RawBuffer(capacity: 1024)
        func add(_ write: (inout RawBuffer) -> Void) -> Range<Int> {
            let start = constants.count
            write(&constants)
            return start..<constants.count
        }
        scope = add { out in
            var message = RawBuffer(capacity: 64)
            message.writeField(1, "weft")
            message.writeField(2, scopeVersion)
            out.writeField(1, message.bytes)
        }
        iostream = (
            add { Self.writeStringAttribute(field: 6, "log.iostream", "stdout", to: &$0) },
            add { Self.writeStringAttribute(field: 6, "log.iostream", "stderr", to: &$0) }
        )
        flushReasons = FlushReason.allCases.sorted { $0.rawValue < $1.rawValue }.map { reason in
            add { Self.writeStringAttribute(field: 6, "weft.flush_reason", reason.description, to: &$0) }
        }
        precondition(flushReasons.count == Int(FlushReason.allCases.map(\.rawValue).max()!) + 1)
        truncatedTrue = add { Self.writeBoolAttribute("weft.truncated", true, to: &$0) }
        truncatedFalse = add { Self.writeBoolAttribute("weft.truncated", false, to: &$0) }
        malformedTrue = add { Self.writeBoolAttribute("weft.malformed", true, to: &$0) }
        continuationTrue = add { Self.writeBoolAttribute("weft.continuation", true, to: &$0) }
        invalidUTF8True = add { Self.writeBoolAttribute("weft.invalid_utf8", true, to: &$0) }
        self.constants = constants
    }

    /// Records appended since the last ``finish()``.
    public var recordCount: Int { batch.recordCount }

    /// The exact size of the request ``finish()`` would return now.
    public var byteCount: Int { payloadBytes }

    /// Appends `record`, described by `source`, to the batch.
    public mutating func append(_ record: Record, source info: SourceInfo) {
        let entry = fragments.entry(record.source, info)
        let (group, isNew) = batch.group(
            for: record.source, version: entry.version,
            resource: UnsafeRawBufferPointer(
                start: fragments.arena.base + entry.resource.lowerBound, count: entry.resource.count))
        let before = isNew ? 0 : groupSize(group)

        // Measure.
        let body = UTF8Repair.measure(record.body)
        let severity = Severity.Match(record.body, mergedByParser: record.parser != nil)
        var parser: Range<Int>? = nil
        var parserScratch = false
        if let name = record.parser {
            parser = fragments.parser(name)
            if parser == nil {
                scratch.makeUnique()
                scratch.removeAll()
                Self.writeStringAttribute(field: 6, "weft.parser", name, to: &scratch)
                parser = 0..<scratch.count
                parserScratch = true
            }
        }
        let stream: Range<Int>? =
            switch record.stream {
            case .stdout: iostream.stdout
            case .stderr: iostream.stderr
            case .unknown: nil
            }
        let flushReason = flushReasons[Int(record.flushReason.rawValue)]
        let truncated = record.truncated ? truncatedTrue : truncatedFalse
        let lines = UInt64(truncatingIfNeeded: record.lineCount)
        // weft.lines: KeyValue { key (12 bytes), value: AnyValue { int_value } }, all lengths below 128.
        let linesValue = 1 &+ ProtobufWire.varintSize(lines)
        let linesKeyValue = 12 &+ 2 &+ linesValue

        var attributes = entry.attributes.count &+ 2 &+ linesKeyValue &+ flushReason.count &+ truncated.count
        if let stream { attributes &+= stream.count }
        if let parser { attributes &+= parser.count }
        if record.malformed { attributes &+= malformedTrue.count }
        if record.continuation { attributes &+= continuationTrue.count }
        if !body.valid { attributes &+= invalidUTF8True.count }
        let anyValue = ProtobufWire.fieldSize(body.count)
        var content = ProtobufWire.fieldSize(anyValue) &+ attributes
        let hasTime = record.time > 0
        let hasObserved = record.observedTime > 0
        if hasTime { content &+= 9 }
        if hasObserved { content &+= 9 }
        if severity.number != 0 {
            content &+= 2
            if severity.text.count > 0 { content &+= ProtobufWire.fieldSize(severity.text.count) }
        }
        let total = ProtobufWire.fieldSize(content)

        // Write: ScopeLogs.log_records (2) { LogRecord }.
        batch.records.makeUnique()
        batch.records.reserve(total)
        let start = batch.records.count
        let constants = constants.base
        var out = WireCursor(batch.records.base + start)
        out.header(2, count: content)
        if hasTime {
            out.byte(ProtobufWire.tag(1, ProtobufWire.fixed64))
            out.fixed64(UInt64(record.time))
        }
        if severity.number != 0 {
            out.byte(ProtobufWire.tag(2, ProtobufWire.varint))
            out.byte(severity.number)
            if severity.text.count > 0 {
                out.header(3, count: severity.text.count)
                out.copy(severity.text)
            }
        }
        out.header(5, count: anyValue)
        out.header(1, count: body.count)
        if body.valid {
            out.copy(record.body)
        } else {
            out.pointer += UTF8Repair.copyRepairing(record.body, to: out.pointer)
        }
        if let stream { out.copy(constants + stream.lowerBound, count: stream.count) }
        out.copy(fragments.arena.base + entry.attributes.lowerBound, count: entry.attributes.count)
        if let parser {
            let base = parserScratch ? scratch.base : fragments.arena.base
            out.copy(base + parser.lowerBound, count: parser.count)
        }
        out.header(6, count: linesKeyValue)
        out.header(1, count: 10)
        out.copy(Self.linesKey.utf8Start, count: 10)
        out.header(2, count: linesValue)
        out.byte(ProtobufWire.tag(3, ProtobufWire.varint))
        out.varint(lines)
        out.copy(constants + flushReason.lowerBound, count: flushReason.count)
        out.copy(constants + truncated.lowerBound, count: truncated.count)
        if record.malformed { out.copy(constants + malformedTrue.lowerBound, count: malformedTrue.count) }
        if record.continuation { out.copy(constants + continuationTrue.lowerBound, count: continuationTrue.count) }
        if !body.valid { out.copy(constants + invalidUTF8True.lowerBound, count: invalidUTF8True.count) }
        if hasObserved {
            out.byte(ProtobufWire.tag(11, ProtobufWire.fixed64))
            out.fixed64(UInt64(record.observedTime))
        }
        assert(UnsafeMutableRawPointer(out.pointer) - (batch.records.base + start) == total)
        batch.records.advance(by: total)
        batch.commit(group, from: start)
        payloadBytes &+= groupSize(group) &- before
    }

    /// The request holding every record appended since the last call; the batch is emptied for the next.
    ///
    /// An empty batch gives an empty request (no bytes). The bytes are valid until the encoder's next mutating call.
    public mutating func finish() -> UnsafeRawBufferPointer {
        output.makeUnique()
        output.removeAll(maxRetainedCapacity: Self.retainedCapacity)
        output.reserve(payloadBytes)
        let scope = UnsafeRawBufferPointer(start: constants.base + self.scope.lowerBound, count: self.scope.count)
        for group in batch.groups.indices {
            let resource = batch.resource(of: group)
            let scopeLogs = scope.count &+ batch.groups[group].recordBytes
            let resourceLogs = ProtobufWire.fieldSize(resource.count) &+ ProtobufWire.fieldSize(scopeLogs)
            var out = WireCursor(output.base + output.count)
            // ExportLogsServiceRequest.resource_logs (1) { resource (1) { attributes }, scope_logs (2) { scope, … } }
            out.header(1, count: resourceLogs)
            out.header(1, count: resource.count)
            out.copy(resource)
            out.header(2, count: scopeLogs)
            out.copy(scope)
            batch.forEachRecord(in: group) { out.copy($0) }
            output.advance(by: UnsafeMutableRawPointer(out.pointer) - (output.base + output.count))
        }
        precondition(output.count == payloadBytes, "the request's size was mis-counted")
        reset()
        return output.bytes
    }

    /// Drops the batch without encoding it.
    public mutating func reset() {
        batch.reset(maxRetainedCapacity: Self.retainedCapacity)
        payloadBytes = 0
    }

    /// Drops what is cached for a released source (its id may come back describing another).
    public mutating func forget(_ source: SourceID) {
        fragments.forget(source)
    }

    // MARK: - Sizes and fixed fields

    static let linesKey: StaticString = "weft.lines"

    /// The bytes group `index` takes in the request: `ResourceLogs` with its resource, scope and records.
    @inline(__always)
    private func groupSize(_ index: Int) -> Int {
        let group = batch.groups[index]
        let scopeLogs = scope.count &+ group.recordBytes
        return ProtobufWire.fieldSize(
            ProtobufWire.fieldSize(group.resource.count) &+ ProtobufWire.fieldSize(scopeLogs))
    }

    /// Appends `KeyValue { key, value: AnyValue { string_value } }` as field `field`.
    static func writeStringAttribute(field: UInt8, _ key: String, _ value: String, to out: inout RawBuffer) {
        var any = RawBuffer(capacity: value.utf8.count + 8)
        any.writeField(1, value)
        writeAttribute(field: field, key, any, to: &out)
    }

    /// Appends `KeyValue { key, value: AnyValue { bool_value } }` as a `LogRecord` attribute.
    static func writeBoolAttribute(_ key: String, _ value: Bool, to out: inout RawBuffer) {
        var any = RawBuffer(capacity: 8)
        any.write(ProtobufWire.tag(2, ProtobufWire.varint))
        any.write(value ? 1 : 0)
        writeAttribute(field: 6, key, any, to: &out)
    }

    private static func writeAttribute(field: UInt8, _ key: String, _ any: RawBuffer, to out: inout RawBuffer) {
        var keyValue = RawBuffer(capacity: key.utf8.count + any.count + 16)
        keyValue.writeField(1, key)
        keyValue.writeField(2, any.bytes)
        out.writeField(field, keyValue.bytes)
    }
}
