import FoundationEssentials
import LibPQ
import Logging

/// One numbered schema change: a plain-SQL file named `NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    /// The number that orders migrations (`0003` → 3).
    public let version: Int
    /// The file name, e.g. `0003_visits.sql`.
    public let fileName: String
    /// The file's SQL.
    public let sql: String

    /// Creates a migration from a file's name and contents.
    public init(version: Int, fileName: String, sql: String) {
        self.version = version
        self.fileName = fileName
        self.sql = sql
    }

    /// Reads every `NNNN_*.sql` file of a directory, ordered by number.
    /// - Throws: ``MigrationError`` when the directory is missing, a `.sql` file is misnamed or two share a number.
    public static func load(directory: String) throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw MigrationError.directoryMissing(path: directory)
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            let digits = name.prefix(while: \.isNumber)
            guard digits.count == 4, name.dropFirst(4).first == "_", let version = Int(digits) else {
                throw MigrationError.invalidFileName(name)
            }
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                  let sql = String(validating: data, as: UTF8.self)
            else {
                throw MigrationError.unreadableFile(name)
            }
            if let twin = migrations.first(where: { $0.version == version }) {
                throw MigrationError.duplicateVersion(version, twin.fileName, name)
            }
            migrations.append(Migration(version: version, fileName: name, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// A migration recorded in `schema_migration`.
public struct AppliedMigration: Sendable, Equatable {
    /// Its number.
    public let version: Int
    /// The file name it had when applied.
    public let fileName: String
    /// SHA-256 of the file's text when applied, in hex.
    public let sha256: String
    /// When it was applied.
    public let appliedAt: Date
}

/// What is applied and what is not.
public struct MigrationStatus: Sendable {
    /// Recorded migrations, by number.
    public let applied: [AppliedMigration]
    /// Files not applied yet, by number.
    public let pending: [Migration]
}

/// Why migrations cannot run.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    /// The migrations directory does not exist or cannot be read.
    case directoryMissing(path: String)
    /// A `.sql` file in the directory is not named `NNNN_description.sql`.
    case invalidFileName(String)
    /// A file could not be read as UTF-8 text.
    case unreadableFile(String)
    /// Two files share a number.
    case duplicateVersion(Int, String, String)
    /// An applied migration's file was edited afterwards.
    case checksumMismatch(fileName: String)
    /// The database has a migration that no file provides (a newer program migrated it, or a file was removed).
    case unknownAppliedMigration(version: Int, fileName: String)

    public var description: String {
        switch self {
        case .directoryMissing(let path):
            "migrations directory \(path) not found (run from the repository root or set TRUCKROLL_MIGRATIONS_DIR)"
        case .invalidFileName(let name):
            "migration file \(name) is not named NNNN_description.sql"
        case .unreadableFile(let name):
            "migration file \(name) cannot be read as UTF-8 text"
        case .duplicateVersion(let version, let first, let second):
            "migration files \(first) and \(second) share number \(version)"
        case .checksumMismatch(let fileName):
            "migration \(fileName) was edited after it was applied; restore it and add a new migration instead"
        case .unknownAppliedMigration(let version, let fileName):
            "the database has migration \(version) (\(fileName)) that no file provides; use the program version that applied it"
        }
    }
}

/// Applies migrations in order, each in its own transaction, recording each with its checksum.
///
/// Concurrent runners are serialised with a session advisory lock: one applies, the others then find nothing to do.
public struct MigrationRunner: Sendable {
    /// Key of the advisory lock held while migrating ("truckroll migrations").
    static let advisoryLockKey: Int64 = 0x7472_6d69_6772

    private let configuration: PGConnectionConfiguration
    private let migrations: [Migration]
    private let logger: Logger

    /// Creates a runner.
    /// - Parameters:
    ///   - configuration: The database to migrate; the role must own the schema.
    ///   - migrations: The files, from ``Migration/load(directory:)``.
    ///   - logger: Receives one `.info` line per applied migration.
    public init(configuration: PGConnectionConfiguration, migrations: [Migration], logger: Logger) {
        self.configuration = configuration
        self.migrations = migrations
        self.logger = logger
    }

    /// Lists applied and pending migrations and verifies applied files are unchanged.
    /// - Throws: ``MigrationError/checksumMismatch(fileName:)`` and connection errors.
    public func status() async throws -> MigrationStatus {
        try await PGConnection.withConnection(configuration: configuration, logger: logger) { connection in
            try await status(on: connection)
        }
    }

    /// Applies every pending migration.
    /// - Returns: The migrations applied by this call (empty when another runner got there first).
    /// - Throws: ``MigrationError`` or the failing statement's ``PGError``; earlier migrations stay applied.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await PGConnection.withConnection(configuration: configuration, logger: logger) { connection in
            try await connection.execute("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
            do {
                try await connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migration (
                        version integer PRIMARY KEY,
                        file_name text NOT NULL,
                        sha256 text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
                )
                let pending = try await status(on: connection).pending
                for migration in pending {
                    try await connection.withTransaction { connection in
                        try await connection.unsafeExecuteScript(migration.sql)
                        try await connection.execute(
                            """
                            INSERT INTO schema_migration (version, file_name, sha256)
                            VALUES (\(migration.version), \(migration.fileName), encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'))
                            """
                        )
                    }
                    logger.info("migration applied", metadata: ["migration.file": "\(migration.fileName)"])
                }
                try await connection.execute("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                return pending
            } catch {
                _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                throw error
            }
        }
    }

    private func status(on connection: PGConnection) async throws -> MigrationStatus {
        let exists = try await connection.query("SELECT to_regclass('schema_migration') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else {
            return MigrationStatus(applied: [], pending: migrations)
        }
        let rows = try await connection.query(
            "SELECT version, file_name, sha256, applied_at FROM schema_migration ORDER BY version"
        )
        let applied = try rows.map { row in
            let (version, fileName, sha256, appliedAt) = try row.decode((Int, String, String, Date).self)
            return AppliedMigration(version: version, fileName: fileName, sha256: sha256, appliedAt: appliedAt)
        }
        let checksums = try await connection.query(
            "SELECT encode(sha256(convert_to(sql, 'UTF8')), 'hex') FROM unnest(\(migrations.map(\.sql))) AS sql"
        ).map { try $0.decode(String.self, at: 0) }
        let filesByVersion = Dictionary(uniqueKeysWithValues: zip(migrations, checksums).map { ($0.version, ($0, $1)) })
        for record in applied {
            guard let (file, checksum) = filesByVersion[record.version] else {
                throw MigrationError.unknownAppliedMigration(version: record.version, fileName: record.fileName)
            }
            guard checksum == record.sha256 else { throw MigrationError.checksumMismatch(fileName: file.fileName) }
        }
        let appliedVersions = Set(applied.map(\.version))
        return MigrationStatus(applied: applied, pending: migrations.filter { !appliedVersions.contains($0.version) })
    }
}

