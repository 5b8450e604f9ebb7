import Foundation
import LibPQ
import Testing
import TruckrollStore
import TruckrollTestSupport

/// The migration runner applies numbered files once, in order, refuses edited history and serialises migrators.
@Suite struct MigrationTests {
    /// A temporary directory of migration files, removed afterwards.
    @discardableResult
    private func withMigrationFiles<Result>(
        _ files: [String: String], _ body: (String) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, sql) in files {
            try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return try await body(directory.path)
    }

    private func runner(_ database: PGConnectionConfiguration, _ directory: String) throws -> MigrationRunner {
        MigrationRunner(configuration: database, migrations: try Migration.load(directory: directory), logger: TestDatabase.silentLogger)
    }

    static let files = [
        "0002_site.sql": "CREATE TABLE site (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customer(id));",
        "0001_customer.sql": "CREATE TABLE customer (id bigint PRIMARY KEY, name text NOT NULL);",
        "0010_site_name.sql": "ALTER TABLE site ADD COLUMN name text;",
        "README.txt": "not a migration",
    ]

    @Test func appliesInNumericOrderOnceAndReportsStatus() async throws {
        try await withMigrationFiles(Self.files) { directory in
            try await TestDatabase.withDatabase(migrated: false) { database in
                let before = try await runner(database, directory).status()
                #expect(before.applied.isEmpty)
                #expect(before.pending.map(\.fileName) == ["0001_customer.sql", "0002_site.sql", "0010_site_name.sql"])

                let applied = try await runner(database, directory).migrate()
                #expect(applied.map(\.version) == [1, 2, 10])
                #expect(try await runner(database, directory).migrate().isEmpty, "a second run has nothing to do")

                let after = try await runner(database, directory).status()
                #expect(after.pending.isEmpty)
                #expect(after.applied.map(\.fileName) == ["0001_customer.sql", "0002_site.sql", "0010_site_name.sql"])
                #expect(after.applied.allSatisfy { $0.sha256.count == 64 })
                try await PGConnection.withConnection(configuration: database) { connection in
                    try await connection.execute("INSERT INTO customer VALUES (1, 'Acme')")
                    try await connection.execute("INSERT INTO site VALUES (1, 1, 'HQ')")
                }
            }
        }
    }

    @Test func anEditedAppliedFileIsAnErrorNamingIt() async throws {
        try await withMigrationFiles(Self.files) { directory in
            try await TestDatabase.withDatabase(migrated: false) { database in
                try await runner(database, directory).migrate()
                try "CREATE TABLE site (id bigint PRIMARY KEY);".write(
                    toFile: directory + "/0002_site.sql", atomically: true, encoding: .utf8
                )
                await #expect(throws: MigrationError.checksumMismatch(fileName: "0002_site.sql")) {
                    try await runner(database, directory).status()
                }
                await #expect(throws: MigrationError.checksumMismatch(fileName: "0002_site.sql")) {
                    try await runner(database, directory).migrate()
                }
                #expect(MigrationError.checksumMismatch(fileName: "0002_site.sql").description.contains("0002_site.sql"))
            }
        }
    }

    @Test func aFailingMigrationIsRolledBackAndNotRecorded() async throws {
        var files = Self.files
        files["0003_broken.sql"] = "CREATE TABLE partial (id int); SELECT no_such_function();"
        try await withMigrationFiles(files) { directory in
            try await TestDatabase.withDatabase(migrated: false) { database in
                let error = try await #require(throws: PGError.self) { try await runner(database, directory).migrate() }
                #expect(error.sqlState == SQLState("42883"))
                let status = try await runner(database, directory).status()
                #expect(status.applied.map(\.version) == [1, 2])
                #expect(status.pending.map(\.version) == [3, 10])
                let partial = try await PGConnection.withConnection(configuration: database) { connection in
                    try await connection.query("SELECT to_regclass('partial') IS NULL")[0].decode(Bool.self, at: 0)
                }
                #expect(partial, "the failed file's first statement was rolled back too")
            }
        }
    }

    @Test func concurrentMigratorsApplyEachFileExactlyOnce() async throws {
        var files: [String: String] = [:]
        for index in 1...12 {
            files[String(format: "%04d_table_%d.sql", index, index)] =
                "CREATE TABLE t\(index) (id int); SELECT pg_sleep(0.02);"
        }
        try await withMigrationFiles(files) { directory in
            try await TestDatabase.withDatabase(migrated: false) { database in
                let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<3 {
                        group.addTask { try await runner(database, directory).migrate().map(\.version) }
                    }
                    return try await group.reduce(into: [[Int]]()) { $0.append($1) }
                }
                #expect(results.flatMap { $0 }.sorted() == Array(1...12), "every file applied exactly once in all")
                #expect(results.filter { !$0.isEmpty }.count == 1, "one migrator did the work")
                let recorded = try await PGConnection.withConnection(configuration: database) { connection in
                    try await connection.query("SELECT count(*) FROM schema_migration")[0].decode(Int.self, at: 0)
                }
                #expect(recorded == 12)
            }
        }
    }

    @Test func badDirectoriesAndFileNamesAreClearErrors() async throws {
        #expect(throws: MigrationError.directoryMissing(path: "/nonexistent/migrations")) {
            try Migration.load(directory: "/nonexistent/migrations")
        }
        #expect(MigrationError.directoryMissing(path: "x").description.contains("TRUCKROLL_MIGRATIONS_DIR"))
        try await withMigrationFiles(["1_short.sql": "SELECT 1;"]) { directory in
            #expect(throws: MigrationError.invalidFileName("1_short.sql")) { try Migration.load(directory: directory) }
        }
        try await withMigrationFiles(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"]) { directory in
            #expect(throws: MigrationError.self) { try Migration.load(directory: directory) }
        }
    }

    @Test func theRepositoryMigrationsApplyToAnEmptyDatabase() async throws {
        try await TestDatabase.withDatabase(migrated: false) { database in
            let runner = MigrationRunner(
                configuration: database, migrations: try Migration.load(directory: TestDatabase.migrationsDirectory),
                logger: TestDatabase.silentLogger
            )
            let applied = try await runner.migrate()
            #expect(!applied.isEmpty)
            #expect(try await runner.status().pending.isEmpty)
        }
    }
}
