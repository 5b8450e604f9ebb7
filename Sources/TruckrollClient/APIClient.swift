import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TruckrollDomain

/// A minimal client of Truckroll's HTTP API: bearer token, JSON bodies, problems turned into ``APIProblem``s.
public struct APIClient: Sendable {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let server: URL
    let token: String?

    public init(server: URL, token: String?) {
        self.server = server
        self.token = token
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
    /// - Throws: ``APIProblem`` for error statuses, or `URLError` when the server cannot be reached.
    public func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        guard var components = URLComponents(url: server.appendingPathComponent(path), resolvingAgainstBaseURL: false) else {
            throw APIProblem(status: 0, title: "Bad server URL", detail: server.absoluteString, errors: [])
        }
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw APIProblem(status: 0, title: "Bad request URL", detail: path, errors: []) }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, urlResponse) = try await URLSession.shared.data(for: request)
        guard let http = urlResponse as? HTTPURLResponse else {
            throw APIProblem(status: 0, title: "No HTTP response", detail: url.absoluteString, errors: [])
        }
        var responseHeaders: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { responseHeaders[name.lowercased()] = value }
        }
        guard http.statusCode < 400 else { throw APIProblem(status: http.statusCode, body: data) }
        return Response(status: http.statusCode, headers: responseHeaders, body: data)
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
            } catch let error as URLError where attempt < 3 && [.networkConnectionLost, .timedOut, .cannotConnectToHost].contains(error.code) {
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
            self.init(status: status, title: HTTPURLResponse.localizedString(forStatusCode: status), detail: nil, errors: [])
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

    public init(server: String, token: String) {
        self.server = server
        self.token = token
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
