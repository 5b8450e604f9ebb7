import Foundation
import Hummingbird
import LibPQ
import Logging
import TruckrollClient
import TruckrollDomain
import TruckrollSample
import TruckrollServer
import TruckrollStore

/// What benchmarks that speak HTTP share: a scratch database holding the sample business, and the real application
/// serving it on a free loopback port.
enum HTTPBench {
    /// Drops and re-creates the database `name` on `server`, migrates it and loads the sample business of `size`.
    /// - Returns: The scratch database's configuration.
    static func prepareScratchDatabase(
        _ name: String, on server: PGConnectionConfiguration, migrationsDirectory: String, size: SampleBusiness.Size,
        logger: Logger
    ) async throws -> PGConnectionConfiguration {
        try await PGConnection.withConnection(configuration: server) { admin in
            try await admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
            try await admin.execute("CREATE DATABASE \(identifier: name)")
        }
        let scratch = server.with(database: name)
        let migrations = try Migration.load(directory: migrationsDirectory)
        try await MigrationRunner(configuration: scratch, migrations: migrations, logger: logger).migrate()
        let pool = PGPool(configuration: scratch, options: .init(maxConnections: 2, leaseTimeout: .seconds(60)), logger: logger)
        do {
            try await loadSample(size, into: pool)
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
        return scratch
    }

    /// Loads the sample business of `size` (seed 1, now) into an empty migrated database, with repair runs off so
    /// that nothing re-plans behind a benchmark's back.
    static func loadSample(_ size: SampleBusiness.Size, into pool: PGPool) async throws {
        _ = try await pool.query("UPDATE planning_policy SET replan_on_events = false")
        _ = try await SampleBusiness(size: size, seed: 1, now: Date()).load(into: pool)
    }

    /// Issues one token per user name (the same name may repeat), valid for a day.
    static func tokens(for usernames: [String], pool: PGPool) async throws -> [String] {
        let access = AccessStore(pool: pool)
        var tokens: [String] = []
        for username in usernames {
            let (_, secret) = try await access.createToken(forUsername: username, name: "bench", expiresAt: Date().addingTimeInterval(86_400))
            tokens.append(secret.value)
        }
        return tokens
    }

    /// Runs the application (the same router as `truckroll serve`, no planning workers) on a free loopback port until
    /// `body` returns. Its log is left out (benchmarks count the answers themselves) but for critical messages. The
    /// per-token rate limit is off: simulated dispatchers and technicians send far faster than people do.
    static func withApplication(
        pool: PGPool, _ body: @Sendable (URL) async throws -> Void
    ) async throws {
        let configuration = try TruckrollConfiguration(flags: ["http.port": "0", "rateLimit.perSecond": "0"], environment: [:])
        try await withServedApplication(configuration: configuration, pool: pool, logger: makeLogger(level: .critical), body)
    }

    /// One HTTP exchange as a benchmark sees it: the status (0 when no answer came), headers and body.
    struct Exchange: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        /// The body as a JSON object, if it is one.
        var object: JSONObject? {
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: body) else { return nil }
            return object
        }
    }

    /// Sends a request through the command line's client; an error status is an answer, not a failure.
    static func send(
        _ client: APIClient, _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        headers: [String: String] = [:]
    ) async -> Exchange {
        do {
            let response = try await client.send(method, path, query: query, body: body, headers: headers)
            return Exchange(status: response.status, headers: response.headers, body: response.body)
        } catch let problem as APIProblem {
            return Exchange(status: problem.status, headers: [:], body: Data(problem.description.utf8))
        } catch {
            return Exchange(status: 0, headers: [:], body: Data("\(error)".utf8))
        }
    }
}

/// A benchmark that could not run (as opposed to one whose figures miss a goal).
struct BenchFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
