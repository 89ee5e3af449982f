import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The answer of a probe: 200 with `detail` when `ok`, 503 with it otherwise.
public struct ProbeResult: Sendable, Equatable {
    public var ok: Bool
    public var detail: String

    public init(ok: Bool, detail: String) {
        self.ok = ok
        self.detail = detail
    }

    /// Alive while the loop turned (or waited on purpose) within `window` nanoseconds.
    public static func liveness(sinceLastTurn age: Int64, window: Int64) -> ProbeResult {
        age <= window
            ? ProbeResult(ok: true, detail: "alive: the loop turned \(age / 1_000_000) ms ago")
            : ProbeResult(ok: false, detail: "stuck: the loop has not turned for \(age / 1_000_000) ms")
    }

    /// Ready once the inputs were discovered, while the output has not failed for good and has not been failing for
    /// longer than `unreadyAfter` nanoseconds (a backend down for a moment is retried within bounds: still ready).
    ///
    /// - Parameter failingFor: how long the output's sends have kept failing, nil while they succeed.
    public static func readiness(
        started: Bool, failure: (any Error)?, failingFor: Int64?, unreadyAfter: Int64
    ) -> ProbeResult {
        guard started else { return ProbeResult(ok: false, detail: "starting: discovering inputs") }
        if let failure { return ProbeResult(ok: false, detail: "output failed: \(failure)") }
        guard let failingFor else { return ProbeResult(ok: true, detail: "ready") }
        let seconds = failingFor / 1_000_000_000
        return failingFor > unreadyAfter
            ? ProbeResult(ok: false, detail: "output unreachable: sends failing for \(seconds) s, retrying")
            : ProbeResult(ok: true, detail: "ready: output retrying for \(seconds) s, within bounds")
    }
}

/// A small HTTP/1.1 server (SwiftNIO) for operators and orchestrators: `/metrics` (the registry in the Prometheus text
/// format), `/healthz` (liveness) and `/readyz` (readiness). It runs on NIO's shared event loop, beside the
/// collector's own thread, and only reads what the probes and the registry return.
public final class MetricsServer: Sendable {
    private let channel: any Channel
    /// The address bound (with the port chosen when 0 was asked for).
    public let address: String

    /// Binds `address` (`HOST:PORT`, `[IPV6]:PORT` or `:PORT` for every interface) and serves until ``close()``.
    /// `beforeMetrics` runs before each `/metrics` answer, for values that must be current even while the thread
    /// that counts them is blocked (a collector waiting for its output).
    public init(
        address: String, registry: PrometheusCollectorRegistry,
        health: @escaping @Sendable () -> ProbeResult, readiness: @escaping @Sendable () -> ProbeResult,
        beforeMetrics: @escaping @Sendable () -> Void = {}
    ) throws {
        let (host, port) = try Self.parse(address)
        let routes = Routes(registry: registry, health: health, readiness: readiness, beforeMetrics: beforeMetrics)
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler(routes: routes))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port)
            .wait()
        let bound = channel.localAddress
        let shown = bound?.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? host
        self.address = "\(shown):\(bound?.port ?? port)"
    }

    public func close() {
        try? channel.close().wait()
    }

    /// Splits `HOST:PORT`; an empty host is every interface.
    static func parse(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw MetricsServerError(description: "--metrics-address \(address): expected HOST:PORT") }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public var description: String
}

private struct Routes: Sendable {
    let registry: PrometheusCollectorRegistry
    let health: @Sendable () -> ProbeResult
    let readiness: @Sendable () -> ProbeResult
    let beforeMetrics: @Sendable () -> Void

    func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String, [UInt8]) {
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET and HEAD\n".utf8))
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch path {
        case "/metrics":
            beforeMetrics()
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        case "/healthz", "/readyz":
            let result = path == "/healthz" ? health() : readiness()
            return (
                result.ok ? .ok : .serviceUnavailable, "text/plain; charset=utf-8",
                Array((result.detail + "\n").utf8)
            )
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("try /metrics, /healthz or /readyz\n".utf8))
        }
    }
}

/// One per connection, on its event loop.
private final class Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let routes: Routes
    private var request: HTTPRequestHead?

    init(routes: Routes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // no route takes a body
        case .end:
            guard let head = request else { return }
            request = nil
            let (status, contentType, body) = routes.answer(head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil)
            if head.method != .HEAD {
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
