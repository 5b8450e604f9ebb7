import ArgumentParser
import Foundation
import LibPQ
import Logging
import TruckrollServer
import TruckrollStore

/// `truckroll bench import`: a large unit import against psql's `\copy` of the same file.
struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import N units from CSV (validation, references by code, constraints) versus psql \\copy of the same file.",
        discussion: """
            Works in a scratch database named truckroll_bench_import (dropped and re-created; the role needs \
            CREATEDB), or in the embedded PostgreSQL. Needs psql. The reference loads the same CSV with \\copy into \
            a table without constraints, indexes or checks: the floor of any import. The last line reads: \
            import bench: N units in X s, ratio R (import seconds / psql seconds).
            """
    )

    @Option(help: "Units to import.") var units: Int = 100_000
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard units > 0 else { throw ValidationError("--units must be positive") }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: .warning)
            try await withDatabase(configuration, logger: logger) { server in
                try await PGConnection.withConnection(configuration: server) { admin in
                    try await admin.execute("DROP DATABASE IF EXISTS truckroll_bench_import WITH (FORCE)")
                    try await admin.execute("CREATE DATABASE truckroll_bench_import")
                }
                let bench = server.with(database: "truckroll_bench_import")
                let migrations = try Migration.load(directory: configuration.migrationsDirectory)
                try await MigrationRunner(configuration: bench, migrations: migrations, logger: logger).migrate()
                let pool = PGPool(configuration: bench, options: .init(maxConnections: 2), logger: logger)
                do {
                    try await measure(pool: pool, clients: PostgresClients(configuration: bench))
                } catch {
                    await pool.shutdown()
                    throw error
                }
                await pool.shutdown()
            }
        }
    }

    private func measure(pool: PGPool, clients: PostgresClients) async throws {
        let importer = RegistryImporter(pool: pool)
        let siteCount = 1000
        let modelCount = 50
        try await importer.importCSV("customers", text: "code,name\n" + (1...100).map { "C\($0),Customer \($0)" }.joined(separator: "\n"))
        try await importer.importCSV("sites", text: "code,customer,name,address,latitude,longitude,time_zone\n" + (1...siteCount).map {
            "S\($0),C\($0 % 100 + 1),Site \($0),\($0) Main St,\(45 + Double($0 % 500) / 100),\(2 + Double($0 % 700) / 100),Europe/Paris"
        }.joined(separator: "\n"))
        try await importer.importCSV("equipment-models", text: "code,manufacturer,name,category,typical_repair_minutes\n" + (1...modelCount).map {
            "M\($0),Maker \($0 % 7),Model \($0),\(["copier_mfp", "printer", "server", "storage", "network"][$0 % 5]),\(30 + $0)"
        }.joined(separator: "\n"))

        let criticality = ["low", "normal", "high", "critical"]
        var csv = "serial_number,equipment_model,site,criticality,install_date,downtime_cost_per_hour\n"
        csv.reserveCapacity(units * 60)
        for index in 1...units {
            csv += "SN\(index),M\(index % modelCount + 1),S\(index % siteCount + 1),\(criticality[index % 4]),2024-0\(index % 9 + 1)-15,\(index % 300).50\n"
        }
        print("importing \(units) units (references to \(siteCount) sites and \(modelCount) models by code)")
        let started = ContinuousClock.now
        let imported = try await importer.importCSV("units", text: csv)
        let importSeconds = (ContinuousClock.now - started).seconds
        guard imported == units else { throw ValidationError("imported \(imported) units, expected \(units)") }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-bench-units-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try csv.write(to: file, atomically: true, encoding: .utf8)
        try await pool.query("""
            CREATE TABLE bench_units_raw (serial_number text, equipment_model text, site text, criticality text,
                install_date date, downtime_cost_per_hour numeric)
            """)
        let copyStarted = ContinuousClock.now
        try await clients.run("psql", ["-q", "-v", "ON_ERROR_STOP=1", "-c", "\\copy bench_units_raw FROM '\(file.path)' CSV HEADER"])
        let copySeconds = (ContinuousClock.now - copyStarted).seconds
        try await pool.query("DROP TABLE bench_units_raw")

        print(String(format: "truckroll import: %.2f s (%.0f units/s); psql \\copy into a bare table: %.2f s", importSeconds,
                     Double(units) / importSeconds, copySeconds))
        print(String(format: "import bench: %d units in %.2f s, ratio %.1f", units, importSeconds, importSeconds / copySeconds))
    }
}
