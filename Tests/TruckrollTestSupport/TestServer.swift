import Foundation
import Hummingbird
import LibPQ
import Logging
import TruckrollServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real application on a free loopback port, for tests that speak HTTP.
public enum TestServer {
    /// Runs the application on `database` until `body` returns.
    /// - Parameters:
    ///   - maxConnections: Pool size.
    ///   - settings: Configuration values by key (e.g. `rateLimit.perSecond`), over the defaults; the rate limit and
    ///     the request deadline are off unless set here, since tests send requests as fast as they can on a machine
    ///     that may be busy.
    ///   - logger: Where the application logs (silent by default).
    ///   - body: Receives the base URL and the pool.
    public static func withServer(
        database: PGConnectionConfiguration, maxConnections: Int = 4, settings: [String: String] = [:],
        logger: Logger = TestDatabase.silentLogger, _ body: @Sendable (URL, PGPool) async throws -> Void
    ) async throws {
        let flags = ["rateLimit.perSecond": "0", "http.requestTimeoutMs": "0"].merging(settings) { $1 }.merging(["http.port": "0"]) { $1 }
        let configuration = try TruckrollConfiguration(flags: flags, environment: [:])
        let pool = PGPool(configuration: database, options: .init(maxConnections: maxConnections, leaseTimeout: configuration.leaseTimeout),
                          logger: logger)
        do {
            try await withServedApplication(configuration: configuration, pool: pool, logger: logger) { try await body($0, pool) }
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }
}

/// A test's HTTP calls: JSON in, status, headers and JSON out; never throws on an error status.
public struct TestHTTP: Sendable {
    public let base: URL
    public let token: String?

    public init(base: URL, token: String?) {
        self.base = base
        self.token = token
    }

    /// A response as tests look at it.
    public struct Reply: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        /// The body as a JSON object (`[:]` when it is not one).
        public var object: [String: any Sendable] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]) ?? [:]
        }

        /// The body as text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// `items` of a list page.
        public var items: [[String: any Sendable]] { (object["items"] as? [[String: any Sendable]]) ?? [] }

        /// The `field`s named by a problem's `errors`.
        public var fieldsAtFault: [String] {
            ((object["errors"] as? [[String: any Sendable]]) ?? []).compactMap { $0["field"] as? String }
        }
    }

    /// The same server with another token.
    public func with(token: String?) -> TestHTTP { TestHTTP(base: base, token: token) }

    /// Sends a request; `json` is serialised with JSONSerialization, `raw` is sent as is.
    public func send(
        _ method: String, _ path: String, json: [String: any Sendable]? = nil, raw: Data? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            request.httpBody = raw
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestSupportError("no HTTP response") }
        var replyHeaders: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { replyHeaders[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: replyHeaders, body: data)
    }
}
