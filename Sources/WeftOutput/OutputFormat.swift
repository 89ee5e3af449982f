/// How records are written.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// One JSON object per record and line, in the OpenTelemetry log data model (see ``JSONLinesEncoder``).
    case json
    /// Just the record body, raw, then `\n`: a merged trace prints as the lines it was made of (shell use).
    case body
}
