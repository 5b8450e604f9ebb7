import Configuration
import Logging

/// Every setting of the service, read once at start-up and passed down as values.
///
/// Precedence: command-line flag, then environment variable, then default.
///
/// | key | environment variable | type | default | secret |
/// |---|---|---|---|---|
/// | `http.host` | `TRUCKROLL_HTTP_HOST` | string | `127.0.0.1` | no |
/// | `http.port` | `TRUCKROLL_HTTP_PORT` | int 0…65535 | `8080` | no |
/// | `database.url` | `TRUCKROLL_DATABASE_URL` | `postgresql://` URL | none: embedded PostgreSQL | yes |
/// | `database.maxConnections` | `TRUCKROLL_DATABASE_MAX_CONNECTIONS` | int ≥ 1 | `10` | no |
/// | `database.leaseTimeoutMs` | `TRUCKROLL_DATABASE_LEASE_TIMEOUT_MS` | int ≥ 1 | `2000` | no |
/// | `dataDir` | `TRUCKROLL_DATA_DIR` | path | see ``EmbeddedPostgres/defaultDataDirectory(environment:)`` | no |
/// | `pgBindir` | `TRUCKROLL_PG_BINDIR` | path | `pg_config --bindir`, then `PATH` | no |
/// | `migrationsDir` | `TRUCKROLL_MIGRATIONS_DIR` | path | `sql/migrations` | no |
/// | `log.level` | `TRUCKROLL_LOG_LEVEL` | trace…critical | `info` | no |
public struct TruckrollConfiguration: Sendable {
    /// Address to listen on.
    public var httpHost: String
    /// Port to listen on (0: any free port).
    public var httpPort: Int
    /// The database URL; `nil` selects the embedded PostgreSQL.
    public var databaseURL: String?
    /// Pool size.
    public var maxConnections: Int
    /// Longest a request waits for a database connection.
    public var leaseTimeout: Duration
    /// Data directory of the embedded PostgreSQL; `nil` for the default.
    public var dataDirectory: String?
    /// Directory of the PostgreSQL server programs; `nil` to search.
    public var postgresBinDirectory: String?
    /// Directory of the numbered migration files.
    public var migrationsDirectory: String
    /// Lowest level logged.
    public var logLevel: Logger.Level

    /// Reads and validates the configuration.
    /// - Parameters:
    ///   - flags: Values given on the command line, by key (e.g. `http.port`); they win over the environment.
    ///   - environment: The process environment (injected for tests).
    /// - Throws: ``ConfigurationError`` naming the key at fault.
    public init(flags: [String: String] = [:], environment: [String: String]) throws {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            values[AbsoluteConfigKey(["truckroll"] + key.split(separator: ".").map(String.init))] =
                ConfigValue(.string(value), isSecret: key == "database.url")
        }
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .specific(["TRUCKROLL_DATABASE_URL"])
            ),
        ]).scoped(to: "truckroll")

        httpHost = reader.string(forKey: "http.host", default: "127.0.0.1")
        httpPort = try Self.integer(reader, "http.port", default: 8080, range: 0...65535)
        databaseURL = reader.string(forKey: "database.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        maxConnections = try Self.integer(reader, "database.maxConnections", default: 10, range: 1...1000)
        leaseTimeout = .milliseconds(try Self.integer(reader, "database.leaseTimeoutMs", default: 2000, range: 1...600_000))
        dataDirectory = reader.string(forKey: "dataDir")
        postgresBinDirectory = reader.string(forKey: "pgBindir")
        migrationsDirectory = reader.string(forKey: "migrationsDir", default: "sql/migrations")
        let level = reader.string(forKey: "log.level", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError.invalid(key: "log.level", reason: "expected one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = logLevel
    }

    private static func integer(_ reader: ConfigReader, _ key: ConfigKey, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = reader.string(forKey: key) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError.invalid(key: "\(key)", reason: "expected an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }
}

/// A setting that cannot be used.
public enum ConfigurationError: Error, CustomStringConvertible {
    /// The key's value is malformed or out of range.
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let reason): "invalid setting \(key): \(reason)"
        }
    }
}
