import Foundation
import LibPQ
import Logging
import Synchronization
import TruckrollStore

/// Fresh PostgreSQL databases for tests, on the server named by `TRUCKROLL_TEST_DATABASE_URL`
/// (`make test` starts a private one).
///
/// Each test gets its own database, created from a migrated template, so tests run in parallel without
/// seeing each other's rows. The template is built once per version of `sql/migrations`.
public enum TestDatabase {
    /// The repository's migration files.
    public static let migrationsDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("sql/migrations").path
    }()

    /// The test server (connected to its maintenance database).
    /// - Throws: when `TRUCKROLL_TEST_DATABASE_URL` is unset, with the command that sets it.
    public static func server() throws -> PGConnectionConfiguration {
        guard let url = ProcessInfo.processInfo.environment["TRUCKROLL_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestSupportError("TRUCKROLL_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return try PGConnectionConfiguration(url: url, applicationName: "truckroll-tests")
    }

    /// A `postgresql://` URL for a test database, for code under test that takes URLs (configuration, commands).
    public static func url(of database: PGConnectionConfiguration) -> String {
        func encoded(_ keyword: String) -> String {
            (database.setting(keyword) ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        return "postgresql://\(encoded("user")):\(encoded("password"))@\(encoded("host")):\(encoded("port"))/\(encoded("dbname"))"
    }

    /// A logger that discards everything, for code under test that wants one.
    public static let silentLogger = Logger(label: "truckroll.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a pool on `database`, shut down afterwards whether `body` succeeds or throws.
    public static func withPool<Result>(
        on database: PGConnectionConfiguration, options: PGPool.Options = .init(maxConnections: 2), _ body: (PGPool) async throws -> Result
    ) async throws -> Result {
        let pool = PGPool(configuration: database, options: options, logger: silentLogger)
        do {
            let result = try await body(pool)
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    /// Runs `body` with a new database, dropped afterwards.
    /// - Parameters:
    ///   - migrated: Start from the migrated template (`true`) or from an empty database.
    ///   - body: Receives how to connect to the new database.
    public static func withDatabase<Result>(
        migrated: Bool = true, _ body: (PGConnectionConfiguration) async throws -> Result
    ) async throws -> Result {
        let server = try server()
        let template = migrated ? try await templates.migratedTemplate(server: server) : "template0"
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withAdminConnection(server) { admin in
            try await admin.execute("CREATE DATABASE \(identifier: name) TEMPLATE \(identifier: template)")
        }
        do {
            let result = try await body(server.with(database: name))
            try await drop(name, server: server)
            return result
        } catch {
            try? await drop(name, server: server)
            throw error
        }
    }

    /// Runs `body` with a connection to a new database, closed and dropped afterwards.
    public static func withConnection<Result>(
        migrated: Bool = true, _ body: (PGConnection) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(migrated: migrated) { database in
            try await PGConnection.withConnection(configuration: database, body)
        }
    }

    private static func drop(_ name: String, server: PGConnectionConfiguration) async throws {
        try await withAdminConnection(server) { admin in
            try await admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
        }
    }

    @discardableResult
    static func withAdminConnection<Result>(
        _ server: PGConnectionConfiguration, _ body: (PGConnection) async throws -> Result
    ) async throws -> Result {
        try await PGConnection.withConnection(configuration: server, body)
    }

    private static let templates = TemplateCache()
}

/// Builds the migrated template once per process (and once per server, thanks to an advisory lock).
private final class TemplateCache: Sendable {
    private let building = Mutex<Task<String, any Error>?>(nil)

    func migratedTemplate(server: PGConnectionConfiguration) async throws -> String {
        let task = building.withLock { current in
            if let current { return current }
            let task = Task { try await Self.build(server: server) }
            current = task
            return task
        }
        return try await task.value
    }

    private static func build(server: PGConnectionConfiguration) async throws -> String {
        let migrations = try Migration.load(directory: TestDatabase.migrationsDirectory)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over names and contents: a cache key, not a checksum
        for byte in migrations.flatMap({ Array(($0.fileName + $0.sql).utf8) }) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let name = "truckroll_tmpl_" + String(hash, radix: 16)
        try await TestDatabase.withAdminConnection(server) { admin in
            try await admin.execute("SELECT pg_advisory_lock(\(Int64(bitPattern: hash)))")
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
            if exists.isEmpty {
                let building = name + "_building"
                try await admin.execute("DROP DATABASE IF EXISTS \(identifier: building) WITH (FORCE)")
                try await admin.execute("CREATE DATABASE \(identifier: building) TEMPLATE template0")
                try await MigrationRunner(
                    configuration: server.with(database: building), migrations: migrations, logger: TestDatabase.silentLogger
                ).migrate()
                try await admin.execute("ALTER DATABASE \(identifier: building) RENAME TO \(identifier: name)")
            }
            try await admin.execute("SELECT pg_advisory_unlock(\(Int64(bitPattern: hash)))")
        }
        return name
    }
}

/// A test set-up problem, with the fix in its message.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
