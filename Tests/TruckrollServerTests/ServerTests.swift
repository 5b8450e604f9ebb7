import Foundation
import Hummingbird
import LibPQ
import Logging
import Testing
import TruckrollServer
import TruckrollTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP skeleton over a real socket: health, the problem+json boundary, start-up refusals.
@Suite struct ServerTests {
    private func withServer(database: PGConnectionConfiguration, _ body: @Sendable (URL) async throws -> Void) async throws {
        try await TestServer.withServer(database: database, maxConnections: 2) { base, _ in try await body(base) }
    }

    private func get(_ url: URL) async throws -> (HTTPURLResponse, Data) {
        let (data, response) = try await URLSession.shared.data(from: url)
        return (try #require(response as? HTTPURLResponse), data)
    }

    @Test func healthReportsTheDatabaseAndUnknownRoutesAreProblems() async throws {
        try await TestDatabase.withDatabase { database in
            try await withServer(database: database) { base in
                // The first check opens the pool's first connection, which can take longer than the 3 s health
                // deadline while the whole suite loads two cores (CI saw one 503 that way): ask again a few times.
                var (health, body) = try await get(base.appendingPathComponent("health"))
                for _ in 0..<4 where health.statusCode != 200 {
                    (health, body) = try await get(base.appendingPathComponent("health"))
                }
                #expect(health.statusCode == 200)
                let report = try JSONSerialization.jsonObject(with: body) as? [String: String]
                #expect(report == ["status": "ok", "database": "reachable"])
                #expect(health.value(forHTTPHeaderField: "X-Request-Id")?.isEmpty == false)

                let (missing, problemBody) = try await get(base.appendingPathComponent("v1/no-such-thing"))
                #expect(missing.statusCode == 404)
                #expect(missing.value(forHTTPHeaderField: "Content-Type") == "application/problem+json")
                let problem = try #require(try JSONSerialization.jsonObject(with: problemBody) as? [String: Any])
                #expect(problem["status"] as? Int == 404)
                #expect(problem["type"] as? String == "https://truckroll.dev/problems/not-found")
                #expect(problem["instance"] as? String == missing.value(forHTTPHeaderField: "X-Request-Id"))
            }
        }
    }

    @Test func healthSaysUnavailableWhenTheDatabaseIsUnreachable() async throws {
        let unreachable = try PGConnectionConfiguration(url: "postgresql://nobody:x@127.0.0.1:1/none")
        try await withServer(database: unreachable) { base in
            let clock = ContinuousClock()
            let started = clock.now
            let (health, body) = try await get(base.appendingPathComponent("health"))
            #expect(health.statusCode == 503)
            let report = try JSONSerialization.jsonObject(with: body) as? [String: String]
            #expect(report?["database"] == "unreachable")
            // The health check gives up after 3 s; the margin is for a loaded machine (17.4 s in a local CI run of
            // 2 December, with the whole suite starting at once on two cores); a hang would take 30 s or more.
            #expect(clock.now - started < .seconds(25))
        }
    }

    @Test func serveRefusesPendingMigrationsAndBusyPorts() async throws {
        try await TestDatabase.withDatabase(migrated: false) { database in
            let url = TestDatabase.url(of: database)
            let configuration = try TruckrollConfiguration(
                flags: ["database.url": url, "migrationsDir": TestDatabase.migrationsDirectory, "http.port": "0"],
                environment: [:]
            )
            let error = await #expect(throws: ServeError.self) {
                try await runServer(configuration: configuration, environment: [:], logger: TestDatabase.silentLogger)
            }
            guard case .pendingMigrations(let files) = error else {
                Issue.record("expected pendingMigrations, got \(String(describing: error))")
                return
            }
            #expect(files.contains("0001_extensions.sql"))
            #expect(error?.description.contains("truckroll migrate") == true)
        }

        try await TestDatabase.withDatabase { database in
            try await withServer(database: database) { base in
                let port = try #require(base.port)
                let busy = try TruckrollConfiguration(flags: ["http.port": String(port)], environment: [:])
                await #expect(throws: ServeError.addressInUse(host: "127.0.0.1", port: port)) {
                    try await runServer(configuration: busy, environment: [:], logger: TestDatabase.silentLogger)
                }
            }
        }
    }

    @Test func metricsAndProbes() async throws {
        try await TestDatabase.withDatabase { database in
            try await withServer(database: database) { base in
                #expect(try await get(base.appendingPathComponent("health/live")).0.statusCode == 200)
                #expect(try await get(base.appendingPathComponent("health/ready")).0.statusCode == 200)
                _ = try await get(base.appendingPathComponent("v1/units"))
                let (response, body) = try await get(base.appendingPathComponent("metrics"))
                let text = String(decoding: body, as: UTF8.self)
                #expect(response.statusCode == 200 && response.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain") == true)
                for name in ["truckroll_db_pool_connections_open", "truckroll_db_pool_timeouts_total", "hb_requests", "http_server_request_duration"] {
                    #expect(text.contains(name), "\(name) missing from /metrics")
                }
                #expect(text.contains("http_response_status_code=\"401\""), "requests are counted by status")
            }
        }
        let unreachable = try PGConnectionConfiguration(url: "postgresql://nobody:x@127.0.0.1:1/none")
        try await withServer(database: unreachable) { base in
            let live = try await get(base.appendingPathComponent("health/live"))
            let ready = try await get(base.appendingPathComponent("health/ready"))
            #expect(live.0.statusCode == 200 && ready.0.statusCode == 503)
        }
    }
}
