import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import WeftCore

/// A server's answer: status, headers and body (the body kept up to ``HTTP1ExchangeHandler/bodyLimit``).
public struct HTTP1Response: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer
}

/// Why a request got no answer, in the classes the OTLP sender counts its retries by: ``isTimeout`` (the connect
/// timeout or the request's deadline passed) or a connection failure (refused, reset, closed, TLS refused).
public struct HTTP1Error: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case timeout
        case connection
        /// The server closed the connection before (`answered: false`) or while sending its answer.
        case closed(answered: Bool)
    }

    public var kind: Kind
    public var description: String

    init(_ kind: Kind, _ what: String, underlying: (any Error)? = nil) {
        self.kind = kind
        // The underlying error's own words stay in the message: an operator looks for CERTIFICATE_VERIFY_FAILED or
        // "Connection refused" in the log.
        description = underlying.map { "\(what): \($0)" } ?? what
    }

    public var isTimeout: Bool { kind == .timeout }
}

/// Weft's own HTTP/1.1 client for the OTLP sender: one keep-alive connection to one endpoint, one request at a time,
/// on swift-nio (NIOPosix, NIOHTTP1) and NIOSSL.
///
/// Why not async-http-client: the sender needs one connection, in order, with a deadline; AHC's pool, HTTP/2,
/// proxies, redirects and cookies, and the packages only it pulls in (NIOHTTP2, HPACK, swift-configuration, SOCKS,
/// distributed tracing and more), were 3.7 MB of the 24.6 MB stripped binary in the container image (issue 15's
/// 25 MB target) and a large share of a clean build on a 2-core machine. This is the part of it Weft uses.
///
/// What it does:
/// - `http://` and `https://` to a host name, an IPv4 address or an IPv6 literal (`[::1]`); names resolve through
///   NIO's resolver (getaddrinfo), which tries IPv6 and IPv4 addresses (happy eyeballs).
/// - TLS through NIOSSL with full certificate verification against the configured CA file or the system's bundle
///   (NIOSSL's default: `/etc/ssl/certs/ca-certificates.crt` on Debian), SNI with the host name, and the host name
///   (or, for an address, the address) checked against the certificate.
/// - The connection is kept for the next request and opened again when the server closed it or it failed. A request
///   on a reused connection that the server closed before answering (an idle connection closed as the request went
///   out) is sent once more on a new connection, as browsers do, before it counts as a failure.
/// - Every request has a deadline of `timeout` from its start, connecting and the TLS handshake included (the
///   connect itself is also bounded by it); when it passes, the request fails as a timeout and the connection is
///   closed, so that a late answer cannot be taken for the next request's.
public final class HTTP1Connection: Sendable {
    public let target: HTTP1Target
    /// One request's whole time (nanoseconds).
    public let timeout: Int64
    private let eventLoop: any EventLoop
    private let tls: NIOSSLContext?
    /// The open connection, if any. Set and cleared on the event loop; read from the sender's thread by ``close()``.
    private let channel = Locked<(any Channel)?>(nil)
    private let connections = Locked(0)

    /// - Parameters:
    ///   - url: `http://` or `https://`, host, optional port and path.
    ///   - caFile: PEM certificates to trust for https instead of the system's bundle.
    ///   - timeout: one request's whole time in nanoseconds, connecting included.
    /// - Throws: an ``HTTP1Error`` for a URL that is not http(s) with a host, or NIOSSL's error for a CA file that
    ///   cannot be read.
    public init(
        url: String, caFile: String? = nil, timeout: Int64,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        guard let target = HTTP1Target(url: url) else {
            throw HTTP1Error(.connection, "not an http:// or https:// URL with a host: \(url)")
        }
        self.target = target
        self.timeout = timeout
        eventLoop = group.next()
        if target.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile { configuration.trustRoots = .file(caFile) }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
    }

    /// Connections opened so far (the keep-alive's measure: one for any number of requests while the server keeps
    /// it open).
    public var connectionsOpened: Int { connections.withLock { $0 } }

    /// POSTs `body` with `headers` (`Host` and `Content-Length` are added) to the target's path. The future fails
    /// with an ``HTTP1Error``.
    public func post(headers: HTTPHeaders, body: [UInt8]) -> EventLoopFuture<HTTP1Response> {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path)
        head.headers.add(name: "Host", value: target.hostHeader)
        head.headers.add(contentsOf: headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        let request = (head: head, body: ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(timeout)
        let result = eventLoop.makePromise(of: HTTP1Response.self)
        let timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            result.fail(HTTP1Error(.timeout, "no answer within \(timeout / 1_000_000) ms"))
            drop()
        }
        result.futureResult.whenComplete { _ in timer.cancel() }
        eventLoop.execute { [self] in
            exchange(request, deadline: deadline, result: result, mayResend: true)
        }
        return result.futureResult
    }

    /// Closes the connection (a request in flight fails).
    public func close() {
        guard
            let open = channel.withLock({ channel -> (any Channel)? in
                defer { channel = nil }
                return channel
            })
        else { return }
        _ = try? open.close().wait()
    }

    // MARK: - On the event loop

    private func exchange(
        _ request: (head: HTTPRequestHead, body: ByteBuffer), deadline: NIODeadline,
        result: EventLoopPromise<HTTP1Response>, mayResend: Bool
    ) {
        let open = channel.withLock { $0 }
        let reused = open?.isActive == true
        let connected = reused ? eventLoop.makeSucceededFuture(open!) : connect(deadline: deadline)
        connected.whenComplete { [self] outcome in
            switch outcome {
            case .failure(let error):
                result.fail(Self.classify(error, connecting: true))
            case .success(let open):
                // Connected just as the deadline passed: the request has failed already, and sending it now would
                // leave its answer to be read as the next request's.
                guard NIODeadline.now() < deadline else {
                    drop(open)
                    result.fail(HTTP1Error(.timeout, "no answer within \(timeout / 1_000_000) ms"))
                    return
                }
                let answer = eventLoop.makePromise(of: HTTP1Response.self)
                open.writeAndFlush(HTTP1Exchange(head: request.head, body: request.body, answer: answer), promise: nil)
                answer.futureResult.whenComplete { [self] outcome in
                    switch outcome {
                    case .success(let response):
                        result.succeed(response)
                    case .failure(let error as HTTP1Error)
                    where error.kind == .closed(answered: false) && reused && mayResend && NIODeadline.now() < deadline:
                        drop(open)
                        exchange(request, deadline: deadline, result: result, mayResend: false)
                    case .failure(let error):
                        drop(open)
                        result.fail(Self.classify(error, connecting: false))
                    }
                }
            }
        }
    }

    private func connect(deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        drop()
        let tls = tls
        let serverName = target.serverName
        let remaining = max(deadline - NIODeadline.now(), .milliseconds(1))
        // ClientBootstrap sets TCP_NODELAY itself (a request goes out in one flush; no Nagle delay waits for more).
        let connecting = ClientBootstrap(group: eventLoop)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(HTTP1ExchangeHandler())
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: target.host, port: target.port)
        return connecting.map { [self] open in
            channel.withLock { $0 = open }
            connections.withLock { $0 += 1 }
            return open
        }
    }

    /// Forgets and closes the connection (`only`: unless another one replaced it meanwhile).
    private func drop(_ only: (any Channel)? = nil) {
        let dropped = channel.withLock { channel -> (any Channel)? in
            guard let open = channel, only.map({ $0 === open }) ?? true else { return nil }
            channel = nil
            return open
        }
        dropped?.close(promise: nil)
    }

    private static func classify(_ error: any Error, connecting: Bool) -> HTTP1Error {
        if let error = error as? HTTP1Error { return error }
        if case ChannelError.connectTimeout = error {
            return HTTP1Error(.timeout, "connecting timed out", underlying: error)
        }
        return HTTP1Error(.connection, connecting ? "connecting failed" : "the request failed", underlying: error)
    }
}
