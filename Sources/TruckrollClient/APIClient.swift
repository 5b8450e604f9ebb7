import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TruckrollDomain

/// A minimal client of Truckroll's HTTP API: bearer token, JSON bodies, problems turned into ``APIProblem``s.
///
/// `https` servers must present a certificate that the system's certificate authorities, or the one given as
/// `certificateAuthorityFile`, vouch for. (Foundation's `URLSession` on Linux cannot be given a CA, hence
/// AsyncHTTPClient.)
public struct APIClient: Sendable {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let server: URL
    let token: String?
    let certificateAuthorityFile: String?

    /// Creates a client.
    /// - Parameters:
    ///   - server: The API's base URL.
    ///   - token: The bearer token, if any.
    ///   - certificateAuthorityFile: A PEM file of certificate authorities trusted besides the system's (a private
    ///     CA, or a self-signed server certificate).
    public init(server: URL, token: String?, certificateAuthorityFile: String? = nil) {
        self.server = server
        self.token = token
        self.certificateAuthorityFile = certificateAuthorityFile
    }

    /// A response: status, headers (lower-cased names) and body.
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        /// The body as a JSON value.
        public func json() throws -> JSONValue {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: body) else {
                throw APIProblem(status: status, title: "Unreadable response", detail: "the server did not answer with JSON", errors: [])
            }
            return value
        }
    }

    /// Sends a request; statuses of 400 and above throw.
    /// - Throws: ``APIProblem`` for error statuses, ``ConnectionFailure`` when no answer arrives.
    public func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        let response = try await exchange(method, path, query: query, body: body, headers: headers)
        guard response.status < 400 else { throw APIProblem(status: response.status, body: response.body) }
        return response
    }

    /// Sends a request and returns the answer whatever its status (for callers that look at error statuses and
    /// their headers themselves, such as `Retry-After`).
    /// - Parameter timeout: The longest to wait for the whole answer.
    /// - Throws: ``ConnectionFailure`` when no answer arrives in time, ``APIProblem`` for a URL that cannot be built.
    public func exchange(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, headers: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Response {
        guard var components = URLComponents(url: server.appendingPathComponent(path), resolvingAgainstBaseURL: false) else {
            throw APIProblem(status: 0, title: "Bad server URL", detail: server.absoluteString, errors: [])
        }
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw APIProblem(status: 0, title: "Bad request URL", detail: path, errors: []) }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        }
        do {
            let response = try await Self.httpClient(trusting: certificateAuthorityFile)
                .execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let responseHeaders = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }) { first, _ in first }
            let data = Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
            return Response(status: Int(response.status.code), headers: responseHeaders, body: data)
        } catch {
            throw ConnectionFailure(error)
        }
    }

    /// One HTTP client per trusted CA file for the process's lifetime (a command makes one or a few requests).
    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func httpClient(trusting certificateAuthorityFile: String?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[certificateAuthorityFile ?? ""] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let certificateAuthorityFile { tls.additionalTrustRoots = [.file(certificateAuthorityFile)] }
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            // Fail at once when the server refuses the connection or the handshake, instead of retrying until the deadline.
            configuration.connectionPool.retryConnectionEstablishment = false
            // Concurrent requests (`truckroll bench faults`) each get a connection instead of queueing behind eight.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[certificateAuthorityFile ?? ""] = client
            return client
        }
    }
}

/// No answer from the server: it cannot be reached, its certificate is not trusted, or the connection broke.
public struct ConnectionFailure: Error, Sendable, CustomStringConvertible {
    /// The TLS handshake failed, most often because no trusted authority signed the server's certificate.
    public let isTLS: Bool
    /// The request may be sent again (the connection was refused, timed out or dropped).
    public let isTransient: Bool
    public let description: String

    init(_ error: any Error) {
        let text = String(describing: error)
        isTLS = error is NIOSSLError || error is BoringSSLError
        isTransient = !isTLS
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            description = "the server's certificate is not signed by a trusted certificate authority"
        } else if isTLS {
            description = "the TLS handshake failed (\(text))"
        } else if (error as? IOError)?.errnoCode == ECONNREFUSED {
            description = "the connection was refused (is the server running at this address?)"
        } else if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            description = "the server closed the connection without answering (does it expect https?)"
        } else if let error = error as? HTTPClientError, [.connectTimeout, .readTimeout, .deadlineExceeded].contains(error) {
            description = "no answer in time"
        } else {
            description = text
        }
    }
}

extension APIClient {
    /// Sends a write that is safe to repeat (it carries an `Idempotency-Key` or an `If-Match`), retrying up to
    /// three times when the connection drops before an answer arrives.
    public func sendRetrying(
        _ method: String, _ path: String, body: JSONValue? = nil, headers: [String: String]
    ) async throws -> Response {
        var attempt = 1
        while true {
            do {
                return try await send(method, path, body: body, headers: headers)
            } catch let error as ConnectionFailure where attempt < 3 && error.isTransient {
                try await Task.sleep(for: .milliseconds(200 * attempt))
                attempt += 1
            }
        }
    }
}

/// An error answer from the API (RFC 9457 problem), readable on one line.
public struct APIProblem: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let title: String
    public let detail: String?
    /// Fields at fault: (field, message).
    public let errors: [(String, String)]

    public init(status: Int, title: String, detail: String?, errors: [(String, String)]) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    init(status: Int, body: Data) {
        let problem = try? JSONDecoder().decode(JSONValue.self, from: body)
        guard case .object(let object)? = problem else {
            self.init(status: status, title: HTTPResponseStatus(statusCode: status).reasonPhrase, detail: nil, errors: [])
            return
        }
        var errors: [(String, String)] = []
        if case .array(let items)? = object["errors"] {
            for case .object(let item) in items {
                errors.append((item["field"]?.stringValue ?? "?", item["message"]?.stringValue ?? ""))
            }
        }
        // A refused transition says best in its detail what the legal moves are.
        if object["allowed"] != nil { errors = [] }
        self.init(status: status, title: object["title"]?.stringValue ?? "Error", detail: object["detail"]?.stringValue, errors: errors)
    }

    public var description: String {
        let reason = errors.isEmpty ? (detail ?? "") : errors.map { "\($0.0): \($0.1)" }.joined(separator: "; ")
        return "\(status) \(title)" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// Where `truckroll login` keeps the server and token: `$XDG_CONFIG_HOME/truckroll/credentials.json`
/// (default `~/.config/…`), readable by its owner only.
public struct StoredCredentials: Codable, Sendable, Equatable {
    public var server: String
    public var token: String
    /// The `--ca-file` given at login (an absolute path), used by later commands that name none.
    public var certificateAuthorityFile: String?

    public init(server: String, token: String, certificateAuthorityFile: String? = nil) {
        self.server = server
        self.token = token
        self.certificateAuthorityFile = certificateAuthorityFile
    }

    /// The file's path for this environment.
    public static func path(environment: [String: String]) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/truckroll/credentials.json"
    }

    /// Reads the file; `nil` when there is none.
    public static func load(environment: [String: String]) throws -> StoredCredentials? {
        let path = path(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDecoder().decode(StoredCredentials.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the file with mode 0600 (its directory 0700), replacing any earlier one.
    public func save(environment: [String: String]) throws {
        let path = Self.path(environment: environment)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        // Create it private before the secret is written, so it is never readable by others, even briefly.
        try? FileManager.default.removeItem(atPath: path + ".tmp")
        _ = FileManager.default.createFile(atPath: path + ".tmp", contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: URL(fileURLWithPath: path + ".tmp"))
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
    }
}
