import ArgumentParser
import Foundation
import LibPQ
import Logging
import OptimizerCommands
import TruckrollServer
import TruckrollDomain
import TruckrollStore

/// `truckroll`: the service, its database chores, the optimiser and benchmarks.
public struct Truckroll: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "truckroll",
        abstract: "Field-service dispatch: the service, its database, the optimiser and benchmarks.",
        subcommands: [
            Serve.self, Migrate.self, AdminCommand.self, ImportCommand.self, LoginCommand.self,
            ListCommand.self, ShowCommand.self, CreateCommand.self, EditCommand.self, DeleteCommand.self,
            CallCommand.self, QueueCommand.self, JobsCommand.self, JobCommand.self, RMACommand.self, ReportCommand.self,
            PlanCommand.self, BoardCommand.self, WorkerCommand.self,
            OptimizeCommand.self, Bench.self, ConfigCommand.self, BackupCommand.self, RestoreCommand.self, SampleCommand.self,
        ]
    )

    public init() {}
}

/// Database options shared by every command that touches PostgreSQL.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL URL (env TRUCKROLL_DATABASE_URL). Without one, a private embedded PostgreSQL is used.",
        valueName: "url"
    ))
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Data directory of the embedded PostgreSQL (env TRUCKROLL_DATA_DIR).", valueName: "path"
    ))
    var dataDirectory: String?

    @Option(name: .customLong("migrations-dir"), help: ArgumentHelp(
        "Directory of the numbered migration files (env TRUCKROLL_MIGRATIONS_DIR; default sql/migrations).",
        valueName: "path"
    ))
    var migrationsDirectory: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp(
        "trace, debug, info, notice, warning, error or critical (env TRUCKROLL_LOG_LEVEL; default info).",
        valueName: "level"
    ))
    var logLevel: String?

    /// The flags given, by configuration key.
    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["database.url"] = databaseURL
        flags["dataDir"] = dataDirectory
        flags["migrationsDir"] = migrationsDirectory
        flags["log.level"] = logLevel
        return flags
    }
}

extension DatabaseOptions {
    /// Reads the configuration: these flags and `extraFlags` first, then `TRUCKROLL_*` variables, then defaults.
    /// - Throws: ``ConfigurationError`` listing every invalid setting.
    func configuration(adding extraFlags: [String: String] = [:]) throws -> TruckrollConfiguration {
        try TruckrollConfiguration(
            flags: flags.merging(extraFlags) { _, extra in extra }, environment: ProcessInfo.processInfo.environment
        )
    }
}

/// Runs `body` against the configured database, or against the embedded one, started for it (not migrated) and
/// stopped afterwards whatever happens. The embedded one is migrated first when `migrateEmbedded` is set.
func withDatabase(
    _ configuration: TruckrollConfiguration, migrateEmbedded: Bool = false, logger: Logger,
    _ body: (PGConnectionConfiguration) async throws -> Void
) async throws {
    let target = try await DatabaseTarget.resolve(
        configuration: configuration, environment: ProcessInfo.processInfo.environment, migrateEmbedded: migrateEmbedded,
        logger: logger
    )
    do {
        try await body(target.configuration)
    } catch {
        try? await target.embedded?.stop()
        throw error
    }
    try await target.embedded?.stop()
}

/// The logger of a command: text lines on standard error, or JSON lines when configured.
func makeLogger(level: Logger.Level, format: TruckrollConfiguration.LogFormat = .text) -> Logger {
    var logger = switch format {
    case .text: Logger(label: "truckroll", factory: { StreamLogHandler.standardError(label: $0) })
    case .json: Logger(label: "truckroll", factory: { JSONLogHandler(label: $0) })
    }
    logger.logLevel = level
    return logger
}

/// Runs a command body, turning any failure into one line on standard error and a non-zero exit.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data(("truckroll: " + describe(error) + "\n").utf8))
        throw ExitCode.failure
    }
}

/// A one-line, user-facing account of an error; never includes passwords or bound values.
func describe(_ error: any Error) -> String {
    if let error = error as? RegistryError { return describe(error) }
    if let error = error as? PGError {
        switch error.kind {
        case .connectionFailed: return "cannot connect to the database: \(error.message)"
        case .connectionLost: return "lost the database connection: \(error.message)"
        case .invalidConfiguration: return error.message
        default:
            return "database error\(error.sqlState.map { " \($0)" } ?? ""): \(error.message)"
        }
    }
    return String(describing: error)
}

/// A registry refusal on one line, naming the fields at fault.
func describe(_ error: RegistryError) -> String {
    switch error {
    case .forbidden(let detail), .stillReferenced(let detail), .notAllowed(let detail): detail
    case .notFound(let resource, let id): "no \(resource) with id \(id)"
    case .invalid(let errors): errors.map(\.description).joined(separator: "; ")
    case .versionMismatch(let current): "it changed meanwhile (now version \(current.version)); try again"
    case .duplicate(let error), .conflict(let error): error.description
    case .illegalTransition(let from, let to, let allowed): "cannot move from \(from) to \(to); allowed: \(allowed.joined(separator: ", "))"
    case .idempotencyKeyReused: "the idempotency key was used with another request"
    }
}
