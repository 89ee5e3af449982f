import ArgumentParser
import WeftCore
import WeftExport
import WeftExportHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--otlp-*` and `--batch-*`, with the OpenTelemetry exporter's environment variables as defaults
/// (`OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT`, `…_HEADERS`, `…_COMPRESSION`, `…_TIMEOUT`, `…_PROTOCOL`); a flag overrides
/// its variable.
struct OTLPOptions: ParsableArguments {
    @Option(help: "Send records over OTLP/HTTP to this endpoint (/v1/logs is appended to a base URL).")
    var otlpEndpoint: String?

    @Option(help: "http/protobuf (default) or http/json.")
    var otlpProtocol: OTLPEndpoint.Encoding?

    @Option(help: "gzip (default) or none.")
    var otlpCompression: OTLPEndpoint.Compression?

    @Option(help: "A request header, name=value (repeatable), e.g. 'Authorization=Bearer …'.")
    var otlpHeader: [String] = []

    @Option(help: "One request's time limit (default 10s).")
    var otlpTimeout: Duration?

    @Option(help: "PEM file of CA certificates to trust for https:// (default: the system's store).")
    var otlpCaFile: String?

    @Option(help: "A batch leaves at this many records.")
    var batchMaxRecords = 1000

    @Option(help: "A batch leaves at this many bytes (encoded, before compression).")
    var batchMaxBytes = ByteCount(1 << 20)

    @Option(help: "A batch leaves once its first record is this old.")
    var batchTimeout = Duration(nanoseconds: 200_000_000)

    @Option(help: "Batches queued or in flight before reading pauses.")
    var maxQueuedBatches = 8

    func validate() throws {
        guard batchMaxRecords >= 1 else { throw ValidationError("--batch-max-records must be at least 1") }
        guard batchMaxBytes.value >= 1024 else { throw ValidationError("--batch-max-bytes must be at least 1KiB") }
        guard maxQueuedBatches >= 1 else { throw ValidationError("--max-queued-batches must be at least 1") }
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// The endpoint from the flags and the environment, or nil when neither names one.
    func endpoint() throws -> OTLPEndpoint? {
        let url =
            otlpEndpoint.flatMap { OTLPEndpoint.resolve(base: $0, logs: nil) }
            ?? OTLPEndpoint.resolve(
                base: Self.environment("OTEL_EXPORTER_OTLP_ENDPOINT"),
                logs: Self.environment("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"))
        guard let url else { return nil }
        var endpoint = OTLPEndpoint(url: url)
        let protocolName =
            otlpProtocol?.rawValue ?? Self.environment("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL")
            ?? Self.environment("OTEL_EXPORTER_OTLP_PROTOCOL")
        if let protocolName {
            guard let encoding = OTLPEndpoint.Encoding(rawValue: protocolName) else {
                throw ValidationError("OTLP protocol \(protocolName) is not supported (http/protobuf or http/json)")
            }
            endpoint.encoding = encoding
        }
        let compression =
            otlpCompression?.rawValue ?? Self.environment("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION")
            ?? Self.environment("OTEL_EXPORTER_OTLP_COMPRESSION")
        if let compression {
            guard let value = OTLPEndpoint.Compression(rawValue: compression) else {
                throw ValidationError("OTLP compression \(compression) is not supported (gzip or none)")
            }
            endpoint.compression = value
        }
        for variable in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"] {
            guard let text = Self.environment(variable) else { continue }
            guard let headers = OTLPEndpoint.parseHeaders(text) else {
                throw ValidationError("\(variable) is not a list of name=value pairs")
            }
            endpoint.headers += headers
        }
        for header in otlpHeader {
            // As given: split at the first `=` only (the variable's comma-separated, percent-encoded form is not
            // the flag's).
            guard let equals = header.firstIndex(of: "="), equals != header.startIndex else {
                throw ValidationError("--otlp-header takes name=value, got \(header)")
            }
            endpoint.headers.append((String(header[..<equals]), String(header[header.index(after: equals)...])))
        }
        if let otlpTimeout {
            endpoint.timeout = otlpTimeout.nanoseconds
        } else if let text = Self.environment("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT")
            ?? Self.environment("OTEL_EXPORTER_OTLP_TIMEOUT"), let milliseconds = Int64(text)
        {
            endpoint.timeout = milliseconds * 1_000_000  // the variables are in milliseconds
        }
        endpoint.caFile = otlpCaFile ?? Self.environment("OTEL_EXPORTER_OTLP_CERTIFICATE")
        return endpoint
    }

    /// An OTLP output for the filter and replay: no state directory, so a refused batch is logged and counted, not
    /// kept.
    func makeOutput(endpoint: OTLPEndpoint) throws -> OTLPOutput {
        let gzip = try GzipOnSenderThread()
        let sender = try OTLPSender(
            endpoint: endpoint, acknowledgements: Acknowledgements(), maxQueued: maxQueuedBatches, deadLetter: nil,
            compress: { gzip.compress($0) }, logger: SelfLogOptions.logger())
        return OTLPOutput(sender: sender, batching: batching(), scopeVersion: Weft.version)
    }

    /// Ends a filter or replay run: every pending record leaves, and weft waits (up to 30 s) until the endpoint has
    /// them all; what it did not get by then is an error.
    func finish(_ runner: inout Runner<OTLPOutput>) throws {
        runner.output.base.closing = true
        try runner.finish()
        let sender = runner.output.base.sender
        guard sender.close(timeout: 30_000_000_000) else {
            let statistics = sender.statistics
            throw Undelivered(
                description: "the OTLP endpoint \(sender.endpoint.url) did not accept every record within 30 s "
                    + "(\(statistics.recordsSent) sent, \(statistics.queueDepth) batches still queued)")
        }
    }

    func batching() -> OTLPOutput.Batching {
        var batching = OTLPOutput.Batching()
        batching.maxRecords = batchMaxRecords
        batching.maxBytes = batchMaxBytes.value
        batching.maxAge = batchTimeout.nanoseconds
        return batching
    }
}

/// Records a filter or replay run could not deliver (exit status 1, the message on stderr).
struct Undelivered: Error, CustomStringConvertible {
    var description: String
}

extension OTLPEndpoint.Encoding: ExpressibleByArgument {}
extension OTLPEndpoint.Compression: ExpressibleByArgument {}
