import ArgumentParser
import Logging
import WeftLog

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension OperatorLogFormat: ExpressibleByArgument {}

/// `--log-level` and `--log-format`: Weft's own messages on standard error, apart from the records.
struct SelfLogOptions: ParsableArguments {
    @Option(help: "Least severe of Weft's own messages to write: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Format of Weft's own messages on standard error: logfmt or json.")
    var logFormat: OperatorLogFormat = .logfmt

    func logger() -> Logger {
        Self.logger(format: logFormat, level: logLevel)
    }

    static func logger(format: OperatorLogFormat = .logfmt, level: Logger.Level = .info) -> Logger {
        Logger(label: "weft") { _ in OperatorLogHandler(format: format, level: level) }
    }
}
