import ArgumentParser
import Foundation
import TruckrollServer
import TruckrollStore

/// `truckroll migrate`: apply or list schema migrations.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations, or list them with --status."
    )

    @Flag(help: "List applied and pending migrations without applying anything.")
    var status = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: configuration.logLevel)
            let migrations = try Migration.load(directory: configuration.migrationsDirectory)
            try await withDatabase(configuration, logger: logger) { database in
                let runner = MigrationRunner(configuration: database, migrations: migrations, logger: logger)
                if status {
                    let current = try await runner.status()
                    for applied in current.applied {
                        print("applied  \(applied.fileName)  \(applied.appliedAt.formatted(.iso8601))")
                    }
                    for pending in current.pending { print("pending  \(pending.fileName)") }
                    print("\(current.applied.count) applied, \(current.pending.count) pending")
                } else {
                    let applied = try await runner.migrate()
                    print(applied.isEmpty ? "nothing to migrate" : "applied \(applied.count) migration(s): "
                        + applied.map(\.fileName).joined(separator: ", "))
                }
            }
        }
    }
}
