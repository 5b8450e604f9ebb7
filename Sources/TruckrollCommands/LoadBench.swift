import ArgumentParser
import AsyncHTTPClient
import Foundation
import LibPQ
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TruckrollSample
import TruckrollServer
import TruckrollStore

/// `truckroll bench load`: a fixed-rate mixed workload against the API on loopback, and the technicians' main
/// endpoint against `pgbench` running its SQL.
struct LoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Throughput and latency at fixed rates, and GET /v1/me/visits against pgbench running its SQL.",
        discussion: """
            Works in a scratch database named truckroll_bench_load (dropped and re-created; the role needs CREATEDB), or \
            in the embedded PostgreSQL, with the medium sample business (200 technicians, 30 days of history), served on \
            a loopback port with the default pool (TRUCKROLL_DATABASE_MAX_CONNECTIONS). Tokens: one per technician for \
            --technicians technicians, 20 for the dispatcher and 10 for the manager. Needs pgbench (postgresql-client).
            1. The mixed workload (60 % GET /v1/me/visits as a random technician, 15 % a dispatcher's queue page, 10 % a \
            visit read, 10 % a site's units as a manager, 5 % a dispatcher's note on a visit: GET, then PATCH with \
            If-Match) at each of --rates requests per second for --seconds each, requests sent on schedule whatever the \
            answers (latency counts from the scheduled time, so a server that falls behind shows it).
            2. GET /v1/me/visits alone at 500 requests per second.
            3. GET /v1/me/visits from --clients clients in a closed loop, then pgbench with as many clients running the \
            endpoint's statements (token lookup, the visits, the units' last calls, the parts) for as long.
            The last line reads: load bench: me/visits X req/s, pgbench Y tps, ratio R, p99 at 500 req/s Z ms.
            """
    )

    @Option(help: "Comma-separated request rates of the mixed workload, per second.") var rates = "100,200,500,1000"
    @Option(help: "Seconds at each rate, and for each side of the comparison with pgbench.") var seconds = 10
    @Option(help: "Technicians whose tokens share the load (the per-token rate limit is not what is measured).") var technicians = 150
    @Option(help: "Concurrent clients of the closed loop and of pgbench.") var clients = 8
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard !parsedRates.isEmpty, parsedRates.allSatisfy({ (1...20_000).contains($0) }) else {
            throw ValidationError("--rates: expected numbers from 1 to 20000, such as 100,200,500")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard (1...200).contains(technicians) else { throw ValidationError("--technicians: expected 1 to 200") }
        guard (1...64).contains(clients) else { throw ValidationError("--clients: expected 1 to 64") }
    }

    var parsedRates: [Int] { rates.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: .error)
            try await withDatabase(configuration, logger: logger) { server in
                print("loading the medium sample business into truckroll_bench_load")
                let scratch = try await HTTPBench.prepareScratchDatabase(
                    "truckroll_bench_load", on: server, migrationsDirectory: configuration.migrationsDirectory,
                    size: .medium, logger: logger
                )
                let pool = PGPool(
                    configuration: scratch,
                    options: .init(maxConnections: configuration.maxConnections, leaseTimeout: configuration.leaseTimeout), logger: logger
                )
                do {
                    try await measure(pool: pool, scratch: scratch)
                } catch {
                    await pool.shutdown()
                    throw error
                }
                await pool.shutdown()
            }
        }
    }

    private func measure(pool: PGPool, scratch: PGConnectionConfiguration) async throws {
        let workload = try await Workload.prepare(pool: pool, technicians: technicians)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: {
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
            return configuration
        }())
        do {
            try await HTTPBench.withApplication(pool: pool) { server in
                let target = Workload.Target(client: client, server: server)
                _ = await LoadGenerator.fixedRate(100, seconds: 2) { await workload.mixed(target, $0) }  // warm-up
                print("mixed workload, \(seconds) s per rate")
                print(LoadGenerator.Summary.header)
                for rate in parsedRates {
                    let summary = await LoadGenerator.fixedRate(rate, seconds: seconds) { await workload.mixed(target, $0) }
                    print(summary.line(rate: rate))
                }
                print("GET /v1/me/visits alone, \(technicians) technicians")
                print(LoadGenerator.Summary.header)
                let alone = await LoadGenerator.fixedRate(500, seconds: seconds) { await workload.myVisits(target, $0) }
                print(alone.line(rate: 500))
                let closed = await LoadGenerator.closedLoop(clients: clients, seconds: seconds) { await workload.myVisits(target, $0) }
                print(String(format: "closed loop, %d clients: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d",
                             clients, closed.throughput, closed.p50 * 1000, closed.p99 * 1000, closed.errors))
                let pgbench = try await Workload.pgbench(scratch: scratch, clients: clients, seconds: seconds, technicians: technicians)
                print(String(format: "pgbench, %d clients, the endpoint's statements: %.0f tps", clients, pgbench))
                print(String(format: "load bench: me/visits %.0f req/s, pgbench %.0f tps, ratio %.2f, p99 at 500 req/s %.1f ms",
                             closed.throughput, pgbench, closed.throughput / max(pgbench, 1), alone.p99 * 1000))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

/// Sends requests at a fixed rate, or from a fixed number of clients, and sums up what came back.
enum LoadGenerator {
    /// One request's outcome: seconds from when it was due to its answer, and whether the answer was an error.
    struct Sample: Sendable {
        var seconds: Double
        var isError: Bool
    }

    /// Throughput, latency and errors of a run.
    struct Summary: Sendable {
        let sent: Int
        let errors: Int
        let throughput: Double
        let p50: Double
        let p99: Double

        init(_ samples: [Sample], elapsed: Double) {
            let sorted = samples.map(\.seconds).sorted()
            func percentile(_ fraction: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
            }
            sent = samples.count
            errors = samples.filter(\.isError).count
            throughput = Double(samples.count - errors) / max(elapsed, 0.001)
            p50 = percentile(0.5)
            p99 = percentile(0.99)
        }

        static let header = "rate/s  sent     answered/s  errors  error %  p50 ms  p99 ms"

        func line(rate: Int) -> String {
            String(format: "%6d  %7d  %10.0f  %6d  %7.2f  %6.2f  %6.2f", rate, sent, throughput, errors,
                   100 * Double(errors) / Double(max(sent, 1)), p50 * 1000, p99 * 1000)
        }
    }

    /// Starts `operation` `rate` times a second for `seconds`, on schedule whatever the answers; latency counts from
    /// when each request was due.
    static func fixedRate(_ rate: Int, seconds: Int, _ operation: @escaping @Sendable (Int) async -> Bool) async -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(rate))
        let samples = await withTaskGroup(of: Sample.self, returning: [Sample].self) { group in
            for index in 0..<(rate * seconds) {
                let due = start + interval * index
                if due > clock.now { try? await clock.sleep(until: due) }
                group.addTask {
                    let ok = await operation(index)
                    return Sample(seconds: (clock.now - due).seconds, isError: !ok)
                }
            }
            var samples: [Sample] = []
            for await sample in group { samples.append(sample) }
            return samples
        }
        return Summary(samples, elapsed: (clock.now - start).seconds)
    }

    /// Runs `operation` back to back from `clients` clients for `seconds`.
    static func closedLoop(clients: Int, seconds: Int, _ operation: @escaping @Sendable (Int) async -> Bool) async -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        let samples = await withTaskGroup(of: [Sample].self, returning: [Sample].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var samples: [Sample] = []
                    var index = client
                    while clock.now < deadline {
                        let began = clock.now
                        let ok = await operation(index)
                        samples.append(Sample(seconds: (clock.now - began).seconds, isError: !ok))
                        index += clients
                    }
                    return samples
                }
            }
            var all: [Sample] = []
            for await samples in group { all += samples }
            return all
        }
        return Summary(samples, elapsed: (clock.now - start).seconds)
    }
}

/// The requests of the load benchmark, and the same work for pgbench.
struct Workload: Sendable {
    /// Where requests go.
    struct Target: Sendable {
        let client: HTTPClient
        let server: URL
    }

    let technicianTokens: [String]
    /// Staff tokens, several each so that no one token carries a large share of the load.
    let dispatcherTokens: [String]
    let managerTokens: [String]
    let visitIDs: [Int]
    let siteIDs: [Int]

    /// Issues the tokens and notes the ids the requests pick from; keeps the technicians' token digests in
    /// `bench_token` for pgbench.
    static func prepare(pool: PGPool, technicians: Int) async throws -> Workload {
        let usernames = try await pool.query(
            "SELECT username FROM app_user WHERE role = 'technician' ORDER BY username LIMIT \(technicians)"
        ).map { try $0.decode(String.self, at: 0) }
        guard usernames.count == technicians else { throw BenchFailure("the sample has only \(usernames.count) technicians") }
        let technicianTokens = try await HTTPBench.tokens(for: usernames, pool: pool)
        let dispatcherTokens = try await HTTPBench.tokens(for: Array(repeating: SampleBusiness.Users.dispatcher, count: 20), pool: pool)
        let managerTokens = try await HTTPBench.tokens(for: Array(repeating: SampleBusiness.Users.manager, count: 10), pool: pool)
        _ = try await pool.query("DROP TABLE IF EXISTS bench_token")
        _ = try await pool.query("""
            CREATE TABLE bench_token AS
            SELECT row_number() OVER (ORDER BY t.id)::int AS n, t.secret_sha256 FROM api_token t JOIN app_user u ON u.id = t.user_id
            WHERE u.role = 'technician' AND t.name = 'bench'
            """)
        _ = try await pool.query("ALTER TABLE bench_token ADD PRIMARY KEY (n)")
        let visitIDs = try await pool.query(
            "SELECT id FROM visit WHERE status IN ('planned', 'dispatched', 'en_route', 'on_site') ORDER BY id"
        ).map { try $0.decode(Int.self, at: 0) }
        let siteIDs = try await pool.query("SELECT id FROM site ORDER BY id").map { try $0.decode(Int.self, at: 0) }
        guard !visitIDs.isEmpty, !siteIDs.isEmpty else { throw BenchFailure("the sample has no open visits or no sites") }
        return Workload(technicianTokens: technicianTokens, dispatcherTokens: dispatcherTokens, managerTokens: managerTokens,
                        visitIDs: visitIDs, siteIDs: siteIDs)
    }

    /// One request of the mix, chosen by `index`; true when the answer was not an error.
    func mixed(_ target: Target, _ index: Int) async -> Bool {
        let dispatcherToken = dispatcherTokens[index % dispatcherTokens.count], managerToken = managerTokens[index % managerTokens.count]
        switch index % 20 {
        case 0..<12:
            return await myVisits(target, index)
        case 12..<15:
            return await Self.get(target, "/v1/service-requests?status=dispatch_needed&limit=20", token: dispatcherToken) == 200
        case 15, 16:
            return await Self.get(target, "/v1/visits/\(visitIDs[index % visitIDs.count])", token: dispatcherToken) == 200
        case 17, 18:
            return await Self.get(target, "/v1/units?site=\(siteIDs[index % siteIDs.count])", token: managerToken) == 200
        default:
            return await note(target, visitID: visitIDs[index % visitIDs.count], token: dispatcherToken)
        }
    }

    /// `GET /v1/me/visits` as the technician `index` picks.
    func myVisits(_ target: Target, _ index: Int) async -> Bool {
        await Self.get(target, "/v1/me/visits", token: technicianTokens[index % technicianTokens.count]) == 200
    }

    /// A dispatcher's note on a visit: read it for its ETag, then PATCH with `If-Match` (412 when someone was faster
    /// is an answer, not an error).
    private func note(_ target: Target, visitID: Int, token: String) async -> Bool {
        let (status, etag) = await Self.send(target, "GET", "/v1/visits/\(visitID)", token: token)
        guard status == 200, let etag else { return false }
        let body = "{\"work_notes\":\"load bench note \(UUID().uuidString)\"}"
        let (patched, _) = await Self.send(target, "PATCH", "/v1/visits/\(visitID)", token: token, body: body, ifMatch: etag)
        return patched == 200 || patched == 412
    }

    private static func get(_ target: Target, _ path: String, token: String) async -> Int {
        await send(target, "GET", path, token: token).status
    }

    /// Sends one request; status 0 when no answer came.
    private static func send(
        _ target: Target, _ method: String, _ path: String, token: String, body: String? = nil, ifMatch: String? = nil
    ) async -> (status: Int, etag: String?) {
        var request = HTTPClientRequest(url: target.server.absoluteString + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await target.client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), response.headers.first(name: "ETag"))
        } catch {
            return (0, nil)
        }
    }

    /// What `GET /v1/me/visits` runs, as a pgbench script: the statements of `AccessStore.authenticate` (for the
    /// token of technician `:n`) and of `FieldWorkStore.openVisits` (for the technician it names), word for word.
    static var pgbenchScript: String {
        let authenticate = AccessStore.authenticationQuery(secretSHA256: Data()).sql
            .replacingOccurrences(of: "$1", with: "(SELECT secret_sha256 FROM bench_token WHERE n = :n)")
        let openVisits = FieldWorkStore.openVisitsQuery(technicianID: 0).sql.replacingOccurrences(of: "$1", with: ":technician_id")
        return """
            \\set n random(1, :technicians)
            \(authenticate) \\gset
            \(openVisits);

            """
    }

    /// Runs the endpoint's statements with pgbench (prepared, `clients` clients) on the scratch database.
    /// - Returns: Transactions per second.
    static func pgbench(scratch: PGConnectionConfiguration, clients: Int, seconds: Int, technicians: Int) async throws -> Double {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-me-visits-\(UUID().uuidString).sql")
        try Data(pgbenchScript.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await PostgresClients(configuration: scratch).run("pgbench", [
            "-n", "-M", "prepared", "-c", String(clients), "-j", String(min(clients, 2)), "-T", String(seconds),
            "-D", "technicians=\(technicians)", "-f", file.path,
        ])
        return PostgresClients.tps(fromPgbench: output)
    }
}
