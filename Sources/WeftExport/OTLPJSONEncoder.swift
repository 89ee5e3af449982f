import WeftCore
import WeftOutput

/// Encodes records as an OTLP `ExportLogsServiceRequest` in OTLP/JSON, the body of an OTLP/HTTP `application/json`
/// request: the same request as ``OTLPLogsEncoder`` (the same grouping, fields, severity and repaired body), in the
/// protobuf JSON mapping as OTLP specifies it.
///
/// Field names are lowerCamelCase (`resourceLogs`, `timeUnixNano`), 64-bit integers are decimal strings
/// (`"timeUnixNano":"1773478801123456789"`, `"intValue":"12"`), enums are integers (`"severityNumber":17`), and fields
/// at their default (a time of 0, severity 0) are left out. Strings are escaped by ``JSONString``, as in the JSON
/// lines, so invalid UTF-8 becomes U+FFFD the same way.
///
/// ```json
/// {"resourceLogs":[{"resource":{"attributes":[{"key":"k8s.pod.name","value":{"stringValue":"api-7d9"}}]},
///  "scopeLogs":[{"scope":{"name":"weft","version":"0.1.0"},"logRecords":[{"timeUnixNano":"1773478801123456789",
///  "observedTimeUnixNano":"1773478801200000000","severityNumber":17,"severityText":"ERROR",
///  "body":{"stringValue":"ERROR boom\n\tat …"},"attributes":[{"key":"log.iostream","value":{"stringValue":"stderr"}},
///  …,{"key":"weft.lines","value":{"intValue":"12"}},…,{"key":"weft.truncated","value":{"boolValue":false}}]}]}]}]}
/// ```
///
/// (on one line). Once warm, appending allocates nothing.
///
/// - Important: ``finish()``'s bytes belong to the encoder and are valid until its next mutating call.
public struct OTLPJSONEncoder {
    /// The `InstrumentationScope` version written with the scope name `weft`.
    public let scopeVersion: String

    private var batch = RecordBatch()
    private var fragments: SourceFragments
    private var constants = RawBuffer(capacity: 1024)
    /// `{"resource":{"attributes":[` and `]},"scopeLogs":[{"scope":{…},"logRecords":[` around a group's resource.
    private let groupOpen: Range<Int>
    private let groupScope: Range<Int>
    private let iostream: (stdout: Range<Int>, stderr: Range<Int>)
    private let flushReasons: [Range<Int>]
    private var output = RawBuffer(capacity: 1 << 16)
    private var payloadBytes = Self.emptySize

    static let requestOpen: StaticString = #"{"resourceLogs":["#
    static let requestClose: StaticString = "]}"
    static let groupClose: StaticString = "]}]}"
    static var emptySize: Int { requestOpen.utf8CodeUnitCount + requestClose.utf8CodeUnitCount }

    public init(scopeVersion: String) {
        self.scopeVersion = scopeVersion
        fragments = SourceFragments(
            attributes: { info, out in
                if let path = info.path {
                    Self.writeStringAttribute("log.file.path", path, to: &out)
                    out.append(",")
                }
                for (key, value) in info.attributes {
                    Self.writeStringAttribute(key, value, to: &out)
                    out.append(",")
                }
            },
            resource: { info, out in
                for (index, (key, value)) in info.resource.enumerated() {
                    if index > 0 { out.append(",") }
                    Self.writeStringAttribute(key, value, to: &out)
                }
            },
            parser: { name, out in
                Self.writeStringAttribute("weft.parser", name, to: &out)
                out.append(",")
            }
        )
        var constants = RawBuffer(capacity: 1024)
        func add(_ write: (inout RawBuffer) -> Void) -> Range<Int> {
            let start = constants.count
            write(&constants)
            return start..<constants.count
        }
        groupOpen = add { $0.append(#"{"resource":{"attributes":["#) }
        groupScope = add { out in
            out.append(#"]},"scopeLogs":[{"scope":{"name":"weft","version":""#)
            JSONString.appendEscaped(scopeVersion, to: &out)
            out.append(#""},"logRecords":["#)
        }
        iostream = (
            add {
                Self.writeStringAttribute("log.iostream", "stdout", to: &$0); $0.append(",")
            },
            add {
                Self.writeStringAttribute("log.iostream", "stderr", to: &$0); $0.append(",")
            }
        )
        flushReasons = FlushReason.allCases.sorted { $0.rawValue < $1.rawValue }.map { reason in
            add {
                Self.writeStringAttribute("weft.flush_reason", reason.description, to: &$0); $0.append(",")
            }
        }
        precondition(flushReasons.count == Int(FlushReason.allCases.map(\.rawValue).max()!) + 1)
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
        batch.records.makeUnique()
        let start = batch.records.count

        if record.time > 0 {
            batch.records.append(#"{"timeUnixNano":""#)
            batch.records.appendDecimal(UInt64(record.time))
            batch.records.append(#"","#)
        } else {
            batch.records.append("{")
        }
        if record.observedTime > 0 {
            batch.records.append(#""observedTimeUnixNano":""#)
            batch.records.appendDecimal(UInt64(record.observedTime))
            batch.records.append(#"","#)
        }
        let severity = Severity.Match(record.body, mergedByParser: record.parser != nil)
        if severity.number != 0 {
            batch.records.append(#""severityNumber":"#)
            batch.records.appendDecimal(UInt64(severity.number))
            batch.records.append(",")
            if severity.text.count > 0 {
                // Letters only (a word of the line, or a level's name): nothing to escape.
                batch.records.append(#""severityText":""#)
                batch.records.write(severity.text.baseAddress!, count: severity.text.count)
                batch.records.append(#"","#)
            }
        }
        batch.records.append(#""body":{"stringValue":""#)
        let invalidUTF8 = JSONString.appendEscaped(record.body, to: &batch.records)
        batch.records.append(#""},"attributes":["#)
        switch record.stream {
        case .stdout: batch.records.write(constants, iostream.stdout)
        case .stderr: batch.records.write(constants, iostream.stderr)
        case .unknown: break
        }
        batch.records.write(fragments.arena, entry.attributes)
        if let name = record.parser {
            if let range = fragments.parser(name) {
                batch.records.write(fragments.arena, range)
            } else {
                Self.writeStringAttribute("weft.parser", name, to: &batch.records)
                batch.records.append(",")
            }
        }
        batch.records.append(#"{"key":"weft.lines","value":{"intValue":""#)
        batch.records.appendDecimal(UInt64(truncatingIfNeeded: record.lineCount))
        batch.records.append(#""}},"#)
        batch.records.write(constants, flushReasons[Int(record.flushReason.rawValue)])
        if record.truncated {
            batch.records.append(#"{"key":"weft.truncated","value":{"boolValue":true}}"#)
        } else {
            batch.records.append(#"{"key":"weft.truncated","value":{"boolValue":false}}"#)
        }
        if record.malformed { batch.records.append(#",{"key":"weft.malformed","value":{"boolValue":true}}"#) }
        if record.continuation { batch.records.append(#",{"key":"weft.continuation","value":{"boolValue":true}}"#) }
        if invalidUTF8 { batch.records.append(#",{"key":"weft.invalid_utf8","value":{"boolValue":true}}"#) }
        batch.records.append("]}")

        let recordBytes = batch.records.count &- start
        if isNew {
            payloadBytes &+= groupOpen.count &+ batch.groups[group].resource.count &+ groupScope.count
            payloadBytes &+= Self.groupClose.utf8CodeUnitCount &+ (batch.groups.count > 1 ? 1 : 0)
        } else {
            payloadBytes &+= 1  // the comma before it
        }
        payloadBytes &+= recordBytes
        batch.commit(group, from: start)
    }

    /// The request holding every record appended since the last call; the batch is emptied for the next.
    ///
    /// An empty batch gives `{"resourceLogs":[]}`. The bytes are valid until the encoder's next mutating call.
    public mutating func finish() -> UnsafeRawBufferPointer {
        output.makeUnique()
        output.removeAll(maxRetainedCapacity: OTLPLogsEncoder.retainedCapacity)
        output.reserve(payloadBytes)
        output.append(Self.requestOpen)
        for group in batch.groups.indices {
            if group > 0 { output.append(",") }
            output.write(constants, groupOpen)
            let resource = batch.resource(of: group)
            output.write(resource.baseAddress!, count: resource.count)
            output.write(constants, groupScope)
            var entry = batch.groups[group].first
            while entry >= 0 {
                let record = batch.entries[Int(entry)]
                if entry != batch.groups[group].first { output.append(",") }
                output.write(batch.records.base + record.start, count: record.count)
                entry = record.next
            }
            output.append(Self.groupClose)
        }
        output.append(Self.requestClose)
        precondition(output.count == payloadBytes, "the request's size was mis-counted")
        reset()
        return output.bytes
    }

    /// Drops the batch without encoding it.
    public mutating func reset() {
        batch.reset(maxRetainedCapacity: OTLPLogsEncoder.retainedCapacity)
        payloadBytes = Self.emptySize
    }

    /// Drops what is cached for a released source (its id may come back describing another).
    public mutating func forget(_ source: SourceID) {
        fragments.forget(source)
    }

    /// Appends `{"key":…,"value":{"stringValue":…}}`.
    static func writeStringAttribute(_ key: String, _ value: String, to out: inout RawBuffer) {
        out.append(#"{"key":""#)
        JSONString.appendEscaped(key, to: &out)
        out.append(#"","value":{"stringValue":""#)
        JSONString.appendEscaped(value, to: &out)
        out.append(#""}}"#)
    }
}
