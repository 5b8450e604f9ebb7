import Foundation
import LibPQ
import Synchronization
import Testing
import TruckrollClient
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `docs/scaling.md` run for real on one machine: two `truckroll serve` processes and two `truckroll worker`
/// processes against one PostgreSQL through a private PgBouncer in transaction mode, plus the figures the document
/// quotes (printed on lines starting with `scaling:`).
@Suite struct ScalingTests {
    static let pgbouncer = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: pgbouncer != nil || getuid() == 0,
                   "pgbouncer is not installed: sudo apt-get install -y pgbouncer (scripts/ensure-deps.sh does it as root)"))
    func twoAPIProcessesAndTwoWorkersShareOnePostgreSQLThroughPgBouncer() async throws {
        let program = try #require(Self.pgbouncer, "pgbouncer is not installed; scripts/ensure-deps.sh installs it when run as root")
        try await TestDatabase.withDatabase { database in
            let processes = Processes()
            defer { try? FileManager.default.removeItem(atPath: processes.directory) }
            var bouncer: PgBouncer?
            do {
                bouncer = try await PgBouncer.start(program: program, server: database, directory: processes.directory + "/pgbouncer")
                try await Self.exercise(database: database, bouncer: try #require(bouncer), processes: processes)
            } catch {
                _ = await processes.stopAll()
                try? await bouncer?.stop()
                throw error
            }
            #expect(await processes.stopAll().allSatisfy { $0 == 0 }, "every truckroll process stops cleanly on SIGTERM")
            try await bouncer?.stop()
        }
    }

    private static func exercise(database: PGConnectionConfiguration, bouncer: PgBouncer, processes: Processes) async throws {
        try await namedStatementsBreakBehindPgBouncer(bouncer)

        let token = try await TestDatabase.withPool(on: database) { pool in
            _ = try await pool.query("UPDATE planning_policy SET replan_on_events = false")
            _ = try await AccessStore(pool: pool).addUser(["username": "ops", "role": "admin"])
            return try await AccessStore(pool: pool).createToken(forUsername: "ops", name: "scaling test", expiresAt: nil).1.value
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        environment["TRUCKROLL_LOG_FORMAT"] = "json"
        environment["TRUCKROLL_PLANNING_WORKERS"] = "0"
        environment["TRUCKROLL_RATE_LIMIT_PER_SECOND"] = "0"  // one token measures throughput
        environment["TRUCKROLL_MIGRATIONS_DIR"] = TestDatabase.migrationsDirectory
        var viaBouncer = environment
        viaBouncer["TRUCKROLL_DATABASE_URL"] = bouncer.url
        viaBouncer["TRUCKROLL_DATABASE_PREPARED_STATEMENTS"] = "false"
        var direct = environment
        direct["TRUCKROLL_DATABASE_URL"] = TestDatabase.url(of: database)
        var directUnnamed = direct
        directUnnamed["TRUCKROLL_DATABASE_PREPARED_STATEMENTS"] = "false"

        let first = try await processes.serve(environment: viaBouncer, name: "api-1")
        let second = try await processes.serve(environment: viaBouncer, name: "api-2")
        let reference = try await processes.serve(environment: direct, name: "api-direct")
        let referenceUnnamed = try await processes.serve(environment: directUnnamed, name: "api-direct-unnamed")
        let api1 = APIClient(server: first, token: token), api2 = APIClient(server: second, token: token)

        // Data written through one API process is read through the other.
        let customer = try await create(api1, "customers", ["code": "ACME", "name": "Acme"])
        let read = try await api2.send("GET", "v1/customers/\(customer)").json()
        #expect(read.objectValue?["code"] == "ACME")
        let calls = try await fixture(api1, customer: customer)
        for call in calls {
            #expect(try await api2.send("GET", "v1/service-requests/\(call)").json().objectValue?["status"] == "dispatch_needed")
        }

        // The same simple endpoint through PgBouncer, straight to PostgreSQL with and without prepared statements, in
        // alternating rounds; the best of each.
        let targets = [("through PgBouncer, unnamed statements", first), ("direct, unnamed statements", referenceUnnamed),
                       ("direct, prepared statements", reference)]
        var best = [Double](repeating: 0, count: targets.count)
        for _ in 1...2 {
            for (index, target) in targets.enumerated() {
                best[index] = max(best[index], try await requestsPerSecond(APIClient(server: target.1, token: token), path: "v1/customers/\(customer)"))
            }
        }
        print("scaling: GET /v1/customers/{id}, 4 concurrent clients, best of 2 rounds of 2 s: "
              + zip(targets, best).map { "\($0.0) \(Int($1)) req/s" }.joined(separator: ", "))

        // Planning runs queued through both API processes, executed by the worker processes only.
        let workerA = try processes.start(CommandLineTests.executable, ["worker", "--workers", "1"], environment: viaBouncer, name: "worker-a")
        let (alone, aloneSeconds) = try await queueAndWait(runs: 4, apis: [api1, api2], database: database)
        let workerB = try processes.start(CommandLineTests.executable, ["worker", "--workers", "1"], environment: viaBouncer, name: "worker-b")
        // Past its start-up migration check, so that it is there to take its share of the runs.
        for _ in 0..<600 where !workerB.logLines().contains(where: { $0["message"] as? String == "planning workers started" }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let (together, togetherSeconds) = try await queueAndWait(runs: 8, apis: [api2, api1], database: database)
        print("scaling: planning runs of 1 s: 1 worker \(Int(Double(alone.count) / aloneSeconds * 60)) runs/min, "
              + "2 workers \(Int(Double(together.count) / togetherSeconds * 60)) runs/min")

        let rows = try await PGConnection.withConnection(configuration: database) { connection in
            try await connection.query("SELECT id, status, attempts, worker FROM plan_run ORDER BY id").map { row in
                (id: try row.decode(Int.self, at: 0), status: try row.decode(String.self, at: 1), attempts: try row.decode(Int.self, at: 2),
                 worker: try row.decode(String?.self, at: 3) ?? "")
            }
        }
        #expect(rows.map(\.id) == alone + together, "no other run was queued")
        let host = ProcessInfo.processInfo.hostName
        let names = [workerA, workerB].map { "\(host):\($0.process.processIdentifier)/1" }
        for row in rows {
            #expect(row.status == "done" && row.attempts == 1, "run \(row.id): \(row.status) after \(row.attempts) claims")
            #expect(names.contains(row.worker), "run \(row.id) executed by \(row.worker), not a worker process")
        }
        #expect(Set(rows.filter { together.contains($0.id) }.map(\.worker)) == Set(names), "both workers took runs")
        let finished = (workerA.logLines() + workerB.logLines()).filter { $0["message"] as? String == "planning run done" }
        #expect(finished.compactMap { $0["plan.run"] as? String }.sorted() == rows.map { String($0.id) }.sorted(),
                "each run finished exactly once")
    }

    /// Named statements live on one server connection; PgBouncer in transaction mode hands the next transaction to
    /// whichever server connection is free. With one server connection shared by two clients, the second client's
    /// first named statement collides with the first's; unnamed statements do not.
    private static func namedStatementsBreakBehindPgBouncer(_ bouncer: PgBouncer) async throws {
        let shared = try PGConnectionConfiguration(url: bouncer.oneServerURL)
        var unnamed = shared
        unnamed.cachesPreparedStatements = false
        for (configuration, collides) in [(shared, true), (unnamed, false)] {
            var collided = false
            do {
                try await PGConnection.withConnection(configuration: configuration) { first in
                    try await PGConnection.withConnection(configuration: configuration) { second in
                        for connection in [first, second, first] {
                            _ = try await connection.query("SELECT \(1) + \(2)")
                        }
                    }
                }
            } catch let error as PGError {
                collided = true
                #expect(error.sqlState?.rawValue == "42P05", "prepared statement already exists: \(error.message)")
            }
            #expect(collided == collides, "prepared statements cached: \(configuration.cachesPreparedStatements)")
        }
    }

    /// The smallest registry that plans: a site, a model, units, a technician on a 24×7 calendar, calls needing dispatch.
    private static func fixture(_ api: APIClient, customer: Int) async throws -> [Int] {
        let site = try await create(api, "sites", ["code": "S1", "customer_id": .number(Double(customer)), "name": "Head office",
                                                   "address": "Lyon", "latitude": 45.76, "longitude": 4.84, "time_zone": "Europe/Paris"])
        let model = try await create(api, "equipment-models", ["code": "MFP", "manufacturer": "Canon", "name": "imageRUNNER",
                                                               "category": "copier_mfp", "typical_repair_minutes": 60])
        _ = try await create(api, "technicians", [
            "code": "T1", "name": "Tess", "home_latitude": 45.75, "home_longitude": 4.85, "time_zone": "Europe/Paris",
            "calendar": ["weekly": [["days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"]]]])
        var calls: [Int] = []
        for index in 1...3 {
            let unit = try await create(api, "units", ["serial_number": .string("MFP-\(index)"), "equipment_model_id": .number(Double(model)),
                                                       "site_id": .number(Double(site))])
            let call = try await create(api, "service-requests", ["unit_id": .number(Double(unit)), "channel": "phone",
                                                                  "call_type": "corrective", "symptom": "paper jam"])
            _ = try await api.send("POST", "v1/service-requests/\(call)/transitions", body: ["to": "dispatch_needed"],
                                   headers: ["If-Match": "\"v1\""])
            calls.append(call)
        }
        return calls
    }

    private static func create(_ api: APIClient, _ resource: String, _ record: JSONObject) async throws -> Int {
        let created = try await api.send("POST", "v1/\(resource)", body: .object(record), headers: ["Idempotency-Key": UUID().uuidString])
        return try #require(try created.json().objectValue?["id"]?.integerValue)
    }

    /// Queues `runs` planning runs of 1 s, alternating between `apis`, and waits until none is queued or running.
    /// - Returns: The runs' ids and the seconds from the first queued to the last finished.
    private static func queueAndWait(runs: Int, apis: [APIClient], database: PGConnectionConfiguration) async throws -> ([Int], Double) {
        let clock = ContinuousClock()
        let started = clock.now
        var ids: [Int] = []
        for index in 0..<runs {
            let run = try await apis[index % apis.count].send("POST", "v1/plans", body: ["time_limit_seconds": 1]).json()
            ids.append(try #require(run.objectValue?["id"]?.integerValue))
        }
        try await PGConnection.withConnection(configuration: database) { connection in
            while try await connection.query("SELECT count(*) FROM plan_run WHERE status IN ('queued', 'running')").first?.decode(Int.self, at: 0) != 0 {
                guard clock.now - started < .seconds(120) else { throw TestSupportError("planning runs still pending after 2 minutes") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let elapsed = clock.now - started
        return (ids, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Successful requests per second with 4 clients in a loop for 2 seconds.
    private static func requestsPerSecond(_ api: APIClient, path: String) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(2)
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        _ = try await api.send("GET", path)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(counts) / 2
    }
}

/// Programs the test started, stopped with SIGTERM in reverse order.
private final class Processes: Sendable {
    private let started = Mutex<[Started]>([])

    /// A started program; its standard output and error go to a file.
    struct Started: Sendable {
        let process: Process
        let log: String

        /// The output so far.
        func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// The output lines that are JSON objects (the JSON log format).
        func logLines() -> [[String: any Sendable]] {
            output().split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: any Sendable]
            }
        }
    }

    let directory = NSTemporaryDirectory() + "truckroll-scaling-\(UUID().uuidString)"

    func start(_ program: String, _ arguments: [String], environment: [String: String], name: String) throws -> Started {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = directory + "/\(name).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()
        let started = Started(process: process, log: log)
        self.started.withLock { $0.append(started) }
        return started
    }

    /// Starts `truckroll serve` on a free port and returns its address once it serves.
    func serve(environment: [String: String], name: String) async throws -> URL {
        let serve = try start(CommandLineTests.executable, ["serve", "--port", "0"], environment: environment, name: name)
        for _ in 0..<300 {
            if let line = serve.output().split(separator: "\n").first(where: { $0.hasPrefix("Truckroll is serving on ") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }) {
                return URL(string: String(address))!
            }
            guard serve.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("\(name) did not start: \(serve.output())")
    }

    /// Sends SIGTERM to every program, newest first, and returns their exit statuses.
    func stopAll() async -> [Int32] {
        var statuses: [Int32] = []
        for started in self.started.withLock({ started in defer { started = [] }; return started }).reversed() {
            if started.process.isRunning { started.process.terminate() }
            statuses.append(await CommandLineTests.exitStatus(of: started.process))
        }
        return statuses
    }
}

/// A private PgBouncer in transaction mode on a free loopback port, in front of the test database's server.
///
/// It runs as a daemon started through ``ChildProcess`` (Foundation's `Process` hands children this process's
/// blocked signals, and PgBouncer would never see the SIGTERM), and is stopped by its pid file.
private struct PgBouncer {
    /// The test database through PgBouncer.
    let url: String
    /// The same database through an entry limited to one server connection (`pool_size=1`).
    let oneServerURL: String
    let directory: String

    /// Starts PgBouncer on a free port, trying another port when the one chosen was taken before PgBouncer bound it
    /// (CI once lost this race: "cannot listen on 127.0.0.1:39123: Address already in use").
    static func start(program: String, server: PGConnectionConfiguration, directory: String) async throws -> PgBouncer {
        var failure: (any Error)?
        for _ in 0..<5 {
            do {
                return try await start(program: program, server: server, directory: directory, port: try freePort())
            } catch let error as PortTaken {
                failure = error.failure
            }
        }
        throw failure ?? TestSupportError("pgbouncer found no free port")
    }

    /// The port chosen was taken before PgBouncer could listen on it.
    private struct PortTaken: Error {
        let failure: TestSupportError
    }

    private static func start(program: String, server: PGConnectionConfiguration, directory: String, port: Int) async throws -> PgBouncer {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: directory + "/pgbouncer.log")
        func setting(_ keyword: String) -> String { server.setting(keyword) ?? "" }
        try "\"\(setting("user"))\" \"\(setting("password"))\"\n".write(toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        let backend = "host=\(setting("host")) port=\(setting("port")) dbname=\(setting("dbname"))"
        var configuration = """
            [databases]
            truckroll = \(backend)
            one_server = \(backend) pool_size=1

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = \(directory)/userlist.txt
            pool_mode = transaction
            default_pool_size = 10
            max_client_conn = 200
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid

            """
        if getuid() == 0 {
            // PgBouncer refuses to run as root; as PostgreSQL itself does in these tests, it runs as postgres.
            configuration += "user = postgres\n"
        }
        try configuration.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        if getuid() == 0 { _ = try await ChildProcess.run("chown", ["-R", "postgres", directory]) }
        let daemon = try await ChildProcess.run(program, ["-d", directory + "/pgbouncer.ini"])
        guard daemon.status == 0 else { throw TestSupportError("pgbouncer did not start: \(daemon.output)") }
        let user = setting("user").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let password = setting("password").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let bouncer = PgBouncer(url: "postgresql://\(user):\(password)@127.0.0.1:\(port)/truckroll",
                                oneServerURL: "postgresql://\(user):\(password)@127.0.0.1:\(port)/one_server", directory: directory)
        for _ in 0..<100 {
            if (try? await PGConnection.withConnection(configuration: try PGConnectionConfiguration(url: bouncer.url)) { _ in }) != nil {
                return bouncer
            }
            if bouncer.log.contains("Address already in use") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let failure = TestSupportError("pgbouncer does not accept connections: \(bouncer.log)")
        if bouncer.log.contains("Address already in use") {
            // PgBouncer exited ("nowhere to listen"); its pid file would stop the next attempt.
            try? FileManager.default.removeItem(atPath: directory + "/pgbouncer.pid")
            throw PortTaken(failure: failure)
        }
        try? await bouncer.stop()
        throw failure
    }

    var log: String { (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? "" }

    /// SIGTERM (immediate shutdown), then waits up to 10 s for PgBouncer to remove its pid file as it exits.
    func stop() async throws {
        let pidFile = directory + "/pgbouncer.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where FileManager.default.fileExists(atPath: pidFile) {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard !FileManager.default.fileExists(atPath: pidFile) else { throw TestSupportError("pgbouncer \(pid) ignored SIGTERM") }
    }

    /// A loopback port nothing listens on now, below Linux's ephemeral range (32768-60999), where the tests' own
    /// outgoing connections would otherwise take ports between the check and PgBouncer's bind.
    private static func freePort() throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000..<32_000)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            if bound { return port }
        }
        throw TestSupportError("no free port")
    }
}
