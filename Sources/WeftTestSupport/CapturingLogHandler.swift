import Logging
import WeftCore

/// A swift-log handler that keeps what it is given, for tests that check what an operator would be told.
public struct CapturingLogHandler: LogHandler {
    public final class Store: Sendable {
        private let events = Locked<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
        public init() {}
        public var messages: [String] { events.withLock { $0.map(\.message) } }
        public var all: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { events.withLock { $0 } }
        func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
            events.withLock { $0.append((level, message, metadata)) }
        }
    }

    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let store: Store

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        store.append(event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })
    }

    /// A logger whose events land in `store`.
    public static func logger(_ store: Store) -> Logger {
        Logger(label: "test") { _ in CapturingLogHandler(store: store) }
    }

    /// A logger that drops everything.
    public static var silent: Logger { Logger(label: "test") { _ in SwiftLogNoOpLogHandler() } }
}
