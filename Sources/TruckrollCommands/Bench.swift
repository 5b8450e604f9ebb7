import ArgumentParser
import Foundation
import LibPQ
import OptimizerCommands
import TruckrollServer

/// `truckroll bench …`: benchmarks that print figures against a reference measured in the same run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: each prints its figures and their ratio to a reference run at the same time.",
        subcommands: [DatabaseBench.self, DispatcherBench.self, ImportBench.self, LoadBench.self, PlanningBench.self, ReportBench.self, FaultBench.self, OptimizerBenchCommand.self]
    )
}

/// `truckroll bench db`: the libpq wrapper against PostgreSQL's own clients.
struct DatabaseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Point selects versus pgbench, and a bulk load versus psql \\copy, on the same server.",
        discussion: """
            Works in a scratch database named truckroll_bench on the configured server (created if missing; \
            the role needs CREATEDB), or in the embedded PostgreSQL. Needs pgbench and psql (postgresql-client).
            The last line reads: db bench: select ratio X, bulk ratio Y. Select ratio = wrapper tps / pgbench tps \
            (higher is better); bulk ratio = wrapper seconds / psql seconds (lower is better).
            """
    )

    @Option(help: "Seconds for each select run.")
    var seconds: Int = 10

    @Option(help: "Rows for the bulk load.")
    var rows: Int = 100_000

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            try await withDatabase(configuration, logger: makeLogger(level: configuration.logLevel)) { server in
                try await runBenchmarks(server: server)
            }
        }
    }

    private func runBenchmarks(server: PGConnectionConfiguration) async throws {
        try await PGConnection.withConnection(configuration: server) { admin in
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = 'truckroll_bench'")
            if exists.isEmpty { try await admin.execute("CREATE DATABASE truckroll_bench") }
        }
        let bench = server.with(database: "truckroll_bench")
        let clients = try PostgresClients(configuration: bench)

        print("preparing pgbench tables (scale 1: 100,000 accounts)")
        try await clients.run("pgbench", ["-i", "-q", "-s", "1"])

        // Inside withConnection the loop runs on the connection's thread: the path every lease takes.
        try await PGConnection.withConnection(configuration: bench) { connection in
            var pgbenchTPS = 0.0
            var wrapperTPS = 0.0
            for round in 1...2 {
                let output = try await clients.run("pgbench", ["-n", "-S", "-c", "1", "-M", "prepared", "-T", String(seconds)])
                let tps = PostgresClients.tps(fromPgbench: output)
                let ours = try await selectThroughput(connection, seconds: seconds)
                print(String(format: "round %d: pgbench -S -c1 -M prepared %.0f tps, wrapper %.0f tps", round, tps, ours))
                pgbenchTPS = max(pgbenchTPS, tps)
                wrapperTPS = max(wrapperTPS, ours)
            }

            try await connection.execute("DROP TABLE IF EXISTS bench_bulk")
            try await connection.execute(
                "CREATE TABLE bench_bulk (id bigint, name text, amount numeric, seen_at timestamptz, tags text[])"
            )
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            let values: [[any PGEncodable]] = (0..<rows).map { index in
                [index, "unit \(index)\twith tab", Decimal(index) / 100, start.addingTimeInterval(Double(index)), ["a", "b\"c"]]
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-bench-\(UUID().uuidString).copy")
            defer { try? FileManager.default.removeItem(at: file) }
            let copyStart = ContinuousClock.now
            try await connection.copyIn(table: "bench_bulk", columns: ["id", "name", "amount", "seen_at", "tags"], rows: values)
            let wrapperSeconds = (ContinuousClock.now - copyStart).seconds
            let dump = try await connection.copyOut("COPY bench_bulk TO STDOUT")
            try Data(dump).write(to: file)
            try await connection.execute("TRUNCATE bench_bulk")
            let psqlStart = ContinuousClock.now
            try await clients.run("psql", ["-q", "-v", "ON_ERROR_STOP=1", "-c", "\\copy bench_bulk FROM '\(file.path)'"])
            let psqlSeconds = (ContinuousClock.now - psqlStart).seconds
            let loaded = try await connection.query("SELECT count(*) FROM bench_bulk")[0].decode(Int.self, at: 0)
            try await connection.execute("DROP TABLE bench_bulk")
            guard loaded == rows else { throw ValidationError("psql loaded \(loaded) rows, expected \(rows)") }

            print(String(format: "bulk load of %d rows: wrapper COPY %.3f s, psql \\copy %.3f s", rows, wrapperSeconds, psqlSeconds))
            print(String(format: "db bench: select ratio %.2f, bulk ratio %.2f", wrapperTPS / pgbenchTPS, wrapperSeconds / psqlSeconds))
        }
    }

    private func selectThroughput(_ connection: PGConnection, seconds: Int) async throws -> Double {
        var generator = SystemRandomNumberGenerator()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        var count = 0
        let begin = clock.now
        while clock.now < deadline {
            let id = Int.random(in: 1...100_000, using: &generator)
            _ = try await connection.query("SELECT abalance FROM pgbench_accounts WHERE aid = \(id)")
            count += 1
        }
        return Double(count) / (clock.now - begin).seconds
    }
}

/// Runs PostgreSQL's client programs against one database, passing credentials in the environment (never argv).
struct PostgresClients {
    private let environment: [String: String]

    init(configuration: PGConnectionConfiguration) throws {
        var environment = ProcessInfo.processInfo.environment
        for (keyword, variable) in [("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"),
                                    ("password", "PGPASSWORD"), ("dbname", "PGDATABASE"), ("sslmode", "PGSSLMODE")] {
            environment[variable] = configuration.setting(keyword)
        }
        self.environment = environment
    }

    @discardableResult
    func run(_ program: String, _ arguments: [String]) async throws -> String {
        let outcome = try await ChildProcess.run(program, arguments, environment: environment)
        guard outcome.status == 0 else {
            let tail = outcome.output.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ValidationError("\(program) failed (is postgresql-client installed?): \(tail)")
        }
        return outcome.output
    }

    static func tps(fromPgbench output: String) -> Double {
        for line in output.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }
            if let value = Double(number) { return value }
        }
        return 0
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
