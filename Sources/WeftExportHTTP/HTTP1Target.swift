/// Where an `http://` or `https://` URL points: what ``HTTP1Connection`` connects to and what its requests name.
///
/// Only what an OTLP endpoint needs: scheme, host (a name, an IPv4 address or a bracketed IPv6 literal such as
/// `[::1]`), optional port, path and query. User information (`user:password@`) is refused rather than sent
/// somewhere unexpected; the fragment is dropped, as a client never sends it.
public struct HTTP1Target: Sendable, Equatable {
    /// `https://`: TLS, with the certificate checked against ``host``.
    public var tls: Bool
    /// The host to connect to, without the brackets of an IPv6 literal.
    public var host: String
    public var port: Int
    /// The request target: path and query, at least `/`.
    public var path: String

    init(tls: Bool, host: String, port: Int, path: String) {
        self.tls = tls
        self.host = host
        self.port = port
        self.path = path
    }

    /// `nil` when `url` is not an absolute http(s) URL with a host and a valid port.
    public init?(url: String) {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            tls = true
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            tls = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = rest[authorityEnd...]
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        path = target.isEmpty ? "/" : target.first == "?" ? "/" + target : String(target)
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return nil }
                portText = after.dropFirst()
            }
            guard host.contains(":") else { return nil }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else {
                host = String(authority)
            }
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty else { return nil }
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = Int(portText),
                (1...65535).contains(port)
            else { return nil }
            self.port = port
        } else {
            port = tls ? 443 : 80
        }
    }

    /// The `Host` header: the host (an IPv6 literal in brackets), with the port unless it is the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// The name sent in TLS's server name indication: the host unless it is an IP address (which SNI must not
    /// carry; the certificate is then checked against the address connected to).
    var serverName: String? {
        if host.contains(":") { return nil }
        let isIPv4 =
            host.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && host.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        return isIPv4 ? nil : host
    }
}
