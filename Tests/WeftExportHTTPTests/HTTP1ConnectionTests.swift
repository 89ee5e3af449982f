import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WeftCore

@testable import WeftExportHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// Weft's HTTP/1.1 client against loopback servers that send exactly the bytes a test scripts (ScriptedServer), and
/// against the https receiver with the test CA.
@Suite(.serialized) struct HTTP1ConnectionTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    func post(_ connection: HTTP1Connection, _ text: String = "payload") throws -> HTTP1Response {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-protobuf")
        return try connection.post(headers: headers, body: Array(text.utf8)).wait()
    }

    func failure(of connection: HTTP1Connection) -> HTTP1Error? {
        do {
            _ = try post(connection)
            return nil
        } catch {
            return error as? HTTP1Error
        }
    }

    @Test func keepAliveSendsEveryRequestOnOneConnection() throws {
        let server = try ScriptedServer([.answer(Self.ok)])
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(server.port)/v1/logs", timeout: 5_000_000_000)
        defer { connection.close() }
        for index in 1...3 {
            let response = try post(connection, "batch \(index)")
            #expect(response.status == 200)
            #expect(String(buffer: response.body) == "ok")
        }
        #expect(server.accepted == 1)
        #expect(connection.connectionsOpened == 1)
        let requests = server.requests
        #expect(requests.map { String(decoding: $0.body, as: UTF8.self) } == ["batch 1", "batch 2", "batch 3"])
        let head = requests[0].head.split(separator: "\r\n").map(String.init)
        #expect(head.first == "POST /v1/logs HTTP/1.1")
        #expect(head.contains("Host: 127.0.0.1:\(server.port)"))
        #expect(head.contains("Content-Length: 7"))
        #expect(head.contains("Content-Type: application/x-protobuf"))
    }

    /// `Connection: close` closes it after the answer; a server that closes without saying so is seen either as the
    /// connection's end before the next request or as a request the closed connection never answered, which is
    /// sent again on a new one. Either way every request is answered once, on a connection of its own.
    @Test(arguments: [true, false])
    func aConnectionTheServerClosesIsOpenedAgain(announced: Bool) throws {
        let answer = "HTTP/1.1 200 OK\r\n\(announced ? "Connection: close\r\n" : "")Content-Length: 2\r\n\r\nok"
        let server = try ScriptedServer([.answer(answer, close: true)])
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(server.port)/", timeout: 5_000_000_000)
        defer { connection.close() }
        for _ in 1...3 { #expect(try post(connection).status == 200) }
        #expect(server.accepted == 3)
        #expect(server.requests.count == 3, "each request was answered once")
    }

    /// A reused connection closed without an answer is sent once more on a new connection; a new connection closed
    /// without an answer is a failure (the sender counts and retries it).
    @Test func aRequestDroppedOnAReusedConnectionIsSentOnceMoreOnANewOne() throws {
        let server = try ScriptedServer([.answer(Self.ok), .drop, .answer(Self.ok), .drop])
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(server.port)/", timeout: 5_000_000_000)
        defer { connection.close() }
        #expect(try post(connection, "first").status == 200)
        #expect(try post(connection, "second").status == 200)
        #expect(server.accepted == 2)
        #expect(server.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["first", "second", "second"])
        // The third goes on the connection that answered the second; dropped there, it is sent once more, and
        // dropped again on the new connection: that is the failure.
        let error = try #require(failure(of: connection))
        #expect(error.kind == .closed(answered: false), "\(error)")
        #expect(server.accepted == 3)
        #expect(server.requests.count == 5)
    }

    @Test func aRefusedConnectionIsAConnectionFailure() throws {
        // A port that was free a moment ago: nothing listens there.
        let server = try ScriptedServer([.answer(Self.ok)])
        let port = server.port
        server.stop()
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(port)/", timeout: 5_000_000_000)
        let error = try #require(failure(of: connection))
        #expect(!error.isTimeout)
        #expect(error.description.contains("refused"), "\(error)")
    }

    @Test func aServerThatNeverAnswersTimesOutAndTheNextRequestUsesANewConnection() throws {
        let server = try ScriptedServer([.silent, .answer(Self.ok)])
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(server.port)/", timeout: 300_000_000)
        defer { connection.close() }
        let started = ContinuousClock.now
        let error = try #require(failure(of: connection))
        #expect(error.isTimeout, "\(error)")
        #expect(ContinuousClock.now - started >= .milliseconds(290))
        #expect(try post(connection).status == 200)
        #expect(server.accepted == 2, "the timed-out connection is not reused: its late answer would be misread")
    }

    @Test func chunkedAndContentLengthBodiesAndHeadersAreRead() throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let throttled = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nslow"
        let server = try ScriptedServer([.answer(chunked), .answer(throttled), .answer(Self.ok)])
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://127.0.0.1:\(server.port)/", timeout: 5_000_000_000)
        defer { connection.close() }
        let first = try post(connection)
        #expect(first.status == 200 && String(buffer: first.body) == "hello world")
        let second = try post(connection)
        #expect(second.status == 429)
        #expect(second.headers.first(name: "Retry-After") == "7")
        #expect(String(buffer: second.body) == "slow")
        #expect(String(buffer: try post(connection).body) == "ok")
        #expect(server.accepted == 1)
    }

    @Test func anIPv6LiteralIsConnectedToAndNamedInHost() throws {
        let server = try ScriptedServer([.answer(Self.ok)], ipv6: true)
        defer { server.stop() }
        let connection = try HTTP1Connection(url: "http://[::1]:\(server.port)/v1/logs", timeout: 5_000_000_000)
        defer { connection.close() }
        #expect(try post(connection).status == 200)
        #expect(server.requests.first?.head.contains("\r\nHost: [::1]:\(server.port)") == true)
    }

    @Test func httpsTrustsTheCAFileChecksTheNameAndRefusesAStranger() throws {
        let receiver = try Receiver(script: "200", tls: true)
        // By address (checked against the certificate's IP entry) and by name (SNI, and the DNS entry).
        for host in ["127.0.0.1", "localhost"] {
            let connection = try HTTP1Connection(
                url: "https://\(host):\(receiver.port)/v1/logs", caFile: Receiver.certificate, timeout: 5_000_000_000)
            defer { connection.close() }
            #expect(try post(connection).status == 200)
            #expect(try post(connection).status == 200)
            #expect(connection.connectionsOpened == 1)
        }
        #expect(receiver.requests.count == 4)
        // The system's bundle does not hold the test CA.
        let stranger = try HTTP1Connection(url: receiver.url, timeout: 5_000_000_000)
        let error = try #require(failure(of: stranger))
        #expect(!error.isTimeout)
        #expect(error.description.contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        #expect(receiver.requests.count == 4)
    }

    /// The certificate must name what was connected to: with only `DNS:localhost` in it, `https://localhost` is
    /// trusted and `https://127.0.0.1` (the same server) is not, although its CA is.
    @Test func httpsChecksTheNameOrAddressConnectedTo() throws {
        let receiver = try Receiver(script: "200", tls: true, identity: Receiver.localhostOnly)
        let ca = Receiver.localhostOnly.certificate
        let named = try HTTP1Connection(
            url: "https://localhost:\(receiver.port)/v1/logs", caFile: ca, timeout: 5_000_000_000)
        defer { named.close() }
        #expect(try post(named).status == 200)
        let addressed = try HTTP1Connection(
            url: "https://127.0.0.1:\(receiver.port)/v1/logs", caFile: ca, timeout: 5_000_000_000)
        let error = try #require(failure(of: addressed))
        #expect(!error.isTimeout)
        #expect(error.description.contains("failedToValidateHostname"), "\(error)")
        #expect(receiver.requests.count == 1)
    }

    @Test func urlsAreReadAsOTLPEndpointsAreWritten() throws {
        let plain = try #require(HTTP1Target(url: "http://collector:4318/v1/logs"))
        #expect(plain == HTTP1Target(tls: false, host: "collector", port: 4318, path: "/v1/logs"))
        #expect(plain.hostHeader == "collector:4318")
        #expect(plain.serverName == "collector")
        let secure = try #require(HTTP1Target(url: "HTTPS://gateway.example/otlp/v1/logs?tenant=a#x"))
        #expect(secure == HTTP1Target(tls: true, host: "gateway.example", port: 443, path: "/otlp/v1/logs?tenant=a"))
        #expect(secure.hostHeader == "gateway.example")
        let literal = try #require(HTTP1Target(url: "https://[::1]:4318"))
        #expect(literal == HTTP1Target(tls: true, host: "::1", port: 4318, path: "/"))
        #expect(literal.hostHeader == "[::1]:4318")
        #expect(literal.serverName == nil)
        #expect(HTTP1Target(url: "http://127.0.0.1/")?.serverName == nil)
        for bad in [
            "ftp://host/", "http://", "http://:80/", "http://host:0/", "http://host:99999/", "http://u@host/",
            "http://[::1/", "http://::1/", "collector:4318",
        ] {
            #expect(HTTP1Target(url: bad) == nil, "\(bad)")
        }
        #expect(throws: HTTP1Error.self) { try HTTP1Connection(url: "localhost:4318", timeout: 1) }
    }
}
