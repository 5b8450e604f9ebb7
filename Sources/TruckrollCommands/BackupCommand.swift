import ArgumentParser
import Foundation
import LibPQ
import TruckrollServer

/// `truckroll backup --out FILE`: the whole database in one `pg_dump` custom-format file.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write the whole database to a file (pg_dump custom format).",
        discussion: """
            Works on the configured database, or on the embedded PostgreSQL. The file is written beside its final \
            name and renamed when complete, with mode 0600 (it holds password hashes and tokens). Needs pg_dump \
            (postgresql-client) of the server's major version or newer. Read it back with truckroll restore.
            """
    )

    @Option(name: .customLong("out"), help: ArgumentHelp("The backup file to write (replaced if it exists).", valueName: "file"))
    var output: String

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let destination = URL(fileURLWithPath: output)
            let directory = destination.deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw BackupError.directoryMissing(directory)
            }
            try await withDatabase(configuration, logger: makeLogger(level: configuration.logLevel)) { server in
                let tools = PostgresTools(configuration: server, binDirectory: configuration.postgresBinDirectory)
                let partial = destination.path + ".partial"
                // Created 0600 before pg_dump opens it (fopen "wb" keeps the mode): never readable by others.
                guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw BackupError.cannotWrite(partial)
                }
                do {
                    try await tools.run("pg_dump", ["--format=custom", "--no-password", "--file", partial])
                    guard rename(partial, destination.path) == 0 else { throw BackupError.cannotWrite(destination.path) }
                } catch {
                    unlink(partial)
                    throw error
                }
                let size = (try? FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? Int) ?? 0
                print("backed up database \(server.setting("dbname") ?? "") to \(output) (\(size) bytes)")
            }
        }
    }
}

/// `truckroll restore --in FILE`: a `truckroll backup` file loaded with `pg_restore`, all or nothing.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Load a backup file into the database, all or nothing (pg_restore).",
        discussion: """
            Works on the configured database, or on the embedded PostgreSQL. Refuses a database that already \
            holds tables, sequences, functions or extensions unless --clean is given, which drops the objects the \
            backup contains before recreating them. Restored objects belong to the role that restores. Runs in one \
            transaction: on any error nothing changes. Needs pg_restore (postgresql-client). Run truckroll migrate \
            afterwards when the backup comes from an older version.
            """
    )

    @Option(name: .customLong("in"), help: ArgumentHelp("The backup file, as written by truckroll backup.", valueName: "file"))
    var input: String

    @Flag(help: "Restore over a database that is not empty, dropping the objects in the backup first.")
    var clean = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            guard FileManager.default.isReadableFile(atPath: input) else { throw BackupError.unreadable(input) }
            try await withDatabase(configuration, logger: makeLogger(level: configuration.logLevel)) { server in
                let tools = PostgresTools(configuration: server, binDirectory: configuration.postgresBinDirectory)
                let name = server.setting("dbname") ?? ""
                do {
                    try await tools.run("pg_restore", ["--list", input])
                } catch BackupError.toolFailed {
                    throw BackupError.notABackup(input)
                }
                if !clean {
                    let objects = try await PGConnection.withConnection(configuration: server) { connection in
                        try await connection.query(Self.userObjects)[0].decode(Int.self, at: 0)
                    }
                    guard objects == 0 else { throw BackupError.databaseNotEmpty(database: name, objects: objects) }
                }
                // Only the database name goes on the command line (as a quoted conninfo, so that no name is
                // expanded as a connection string); everything else, the password included, is in the environment.
                let target = "dbname='" + name.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "'", with: "\\'") + "'"
                var arguments = ["--dbname", target, "--no-password", "--no-owner", "--exit-on-error", "--single-transaction"]
                if clean { arguments += ["--clean", "--if-exists"] }
                try await tools.run("pg_restore", arguments + [input])
                print("restored \(input) into database \(name)")
            }
        }
    }

    /// Tables, views, sequences, functions and extensions outside PostgreSQL's own schemas (plpgsql is built in).
    private static let userObjects: PGQuery = """
        SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
             + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
             + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
        """
}

/// Runs PostgreSQL's client programs (`pg_dump`, `pg_restore`) against one database, with every connection
/// setting, the password included, in the child's environment and never on its command line.
private struct PostgresTools {
    private let environment: [String: String]
    private let binDirectory: String?

    /// libpq's keywords and the environment variables its programs read them from.
    private static let variables = [
        ("host", "PGHOST"), ("hostaddr", "PGHOSTADDR"), ("port", "PGPORT"), ("user", "PGUSER"),
        ("password", "PGPASSWORD"), ("passfile", "PGPASSFILE"), ("dbname", "PGDATABASE"),
        ("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"), ("options", "PGOPTIONS"), ("application_name", "PGAPPNAME"),
    ]

    init(configuration: PGConnectionConfiguration, binDirectory: String?) {
        var environment = ProcessInfo.processInfo.environment
        for (keyword, variable) in Self.variables {
            if let value = configuration.setting(keyword) { environment[variable] = value }
        }
        self.environment = environment
        self.binDirectory = binDirectory
    }

    /// Runs `name` to completion.
    /// - Throws: ``BackupError`` when the program is missing or fails (with the last lines of its output).
    func run(_ name: String, _ arguments: [String]) async throws {
        let program = try await locate(name)
        let outcome = try await ChildProcess.run(program, arguments, environment: environment)
        guard outcome.status == 0 else {
            // Its first error line (not the SQL it quotes after "Command was:"), else the end of what it printed.
            let lines = outcome.output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            let prefix = "\(name): error: "
            let reason = lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            throw BackupError.toolFailed(name, output: reason ?? lines.suffix(3).joined(separator: " | "))
        }
    }

    /// The configured server-program directory, then `pg_config --bindir`, then `PATH`.
    private func locate(_ name: String) async throws -> String {
        var directories = binDirectory.map { [$0] } ?? []
        if let outcome = try? await ChildProcess.run("pg_config", ["--bindir"]), outcome.status == 0 {
            directories.append(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        directories += (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let directory = directories.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/" + name) }) else {
            throw BackupError.toolMissing(name)
        }
        return directory + "/" + name
    }
}

/// Why a backup or restore stopped; each reads as one line for the operator.
enum BackupError: Error, CustomStringConvertible {
    /// The directory of the backup file does not exist.
    case directoryMissing(String)
    /// The backup file cannot be created or renamed into place.
    case cannotWrite(String)
    /// The backup file to restore cannot be read.
    case unreadable(String)
    /// The file is not a `pg_dump` custom-format archive.
    case notABackup(String)
    /// The target database holds objects and `--clean` was not given.
    case databaseNotEmpty(database: String, objects: Int)
    /// `pg_dump` or `pg_restore` is not installed.
    case toolMissing(String)
    /// The program exited with an error; `output` is the end of what it printed.
    case toolFailed(String, output: String)

    var description: String {
        switch self {
        case .directoryMissing(let path): "directory \(path) not found"
        case .cannotWrite(let path): "cannot write \(path)"
        case .unreadable(let path): "cannot read backup file \(path)"
        case .notABackup(let path): "\(path) is not a backup made by truckroll backup (pg_dump custom format)"
        case .databaseNotEmpty(let database, let objects):
            "database \(database) is not empty (it holds \(objects) tables, indexes, functions or other objects); "
                + "restore into an empty database, or pass --clean to replace what the backup contains"
        case .toolMissing(let name): "\(name) not found (install postgresql-client, or set TRUCKROLL_PG_BINDIR)"
        case .toolFailed(let name, let output): "\(name) failed: \(output)"
        }
    }
}
