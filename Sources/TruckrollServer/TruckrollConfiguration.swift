import Configuration
import LibPQ
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
/// | `log.format` | `TRUCKROLL_LOG_FORMAT` | `text` or `json` | `text` | no |
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
    /// `json` for one JSON object per line (log shippers), `text` for people.
    public var logFormat: LogFormat
    /// Planning workers `truckroll serve` runs in its own process (0: planning runs wait for `truckroll worker`).
    public var planningWorkers: Int

    /// How log lines look.
    public enum LogFormat: String, Sendable {
        case text, json
    }

    /// Reads and validates the configuration.
    /// - Parameters:
    ///   - flags: Values given on the command line, by key (e.g. `http.port`); they win over the environment.
    ///   - environment: The process environment (injected for tests).
    /// - Throws: ``ConfigurationError`` listing every key at fault.
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

        var problems: [ConfigurationError.Problem] = []
        httpHost = reader.string(forKey: "http.host", default: "127.0.0.1")
        httpPort = Self.integer(reader, "http.port", default: 8080, range: 0...65535, problems: &problems)
        databaseURL = reader.string(forKey: "database.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if let databaseURL {
            do {
                _ = try PGConnectionConfiguration(url: databaseURL)
            } catch let error as PGError {
                problems.append(.init(key: "database.url", reason: error.message))
            }
        }
        maxConnections = Self.integer(reader, "database.maxConnections", default: 10, range: 1...1000, problems: &problems)
        leaseTimeout = .milliseconds(
            Self.integer(reader, "database.leaseTimeoutMs", default: 2000, range: 1...600_000, problems: &problems)
        )
        dataDirectory = reader.string(forKey: "dataDir")
        postgresBinDirectory = reader.string(forKey: "pgBindir")
        migrationsDirectory = reader.string(forKey: "migrationsDir", default: "sql/migrations")
        let level = reader.string(forKey: "log.level", default: "info")
        if let logLevel = Logger.Level(rawValue: level) {
            self.logLevel = logLevel
        } else {
            self.logLevel = .info
            problems.append(.init(key: "log.level", reason: "expected one of trace, debug, info, notice, warning, error, critical"))
        }
        let format = reader.string(forKey: "log.format", default: "text")
        logFormat = LogFormat(rawValue: format) ?? .text
        if LogFormat(rawValue: format) == nil {
            problems.append(.init(key: "log.format", reason: "expected text or json"))
        }
        planningWorkers = Self.integer(reader, "planning.workers", default: 1, range: 0...16, problems: &problems)
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
    }

    /// Every effective setting as `(key, value)`, the database password redacted: for `truckroll config check`.
    /// - Parameter environment: The process environment, for the embedded default's data directory.
    public func redactedSettings(environment: [String: String]) -> [(key: String, value: String)] {
        let database: String
        if let databaseURL, let parsed = try? PGConnectionConfiguration(url: databaseURL) {
            database = parsed.redactedDescription + (parsed.setting("password") == nil ? "" : " (password hidden)")
        } else {
            let directory = dataDirectory ?? EmbeddedPostgres.defaultDataDirectory(environment: environment)
            database = "unset: embedded PostgreSQL in \(directory)"
        }
        return [
            ("http.host", httpHost),
            ("http.port", String(httpPort)),
            ("database.url", database),
            ("database.maxConnections", String(maxConnections)),
            ("database.leaseTimeoutMs", String(Int(leaseTimeout / .milliseconds(1)))),
            ("dataDir", dataDirectory ?? EmbeddedPostgres.defaultDataDirectory(environment: environment)),
            ("pgBindir", postgresBinDirectory ?? "pg_config --bindir, then PATH"),
            ("migrationsDir", migrationsDirectory),
            ("log.level", logLevel.rawValue),
            ("log.format", logFormat.rawValue),
            ("planning.workers", String(planningWorkers)),
        ]
    }

    private static func integer(
        _ reader: ConfigReader, _ key: ConfigKey, default value: Int, range: ClosedRange<Int>,
        problems: inout [ConfigurationError.Problem]
    ) -> Int {
        guard let text = reader.string(forKey: key) else { return value }
        guard let number = Int(text), range.contains(number) else {
            problems.append(.init(key: "\(key)", reason: "expected an integer in \(range.lowerBound)…\(range.upperBound)"))
            return value
        }
        return number
    }
}

/// Settings that cannot be used: all of them, so that one correction round fixes everything.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// One key at fault.
    public struct Problem: Sendable, Equatable {
        /// The key, e.g. `http.port`.
        public var key: String
        /// What is wrong with its value.
        public var reason: String
    }

    /// Every problem found.
    public var problems: [Problem]

    public var description: String {
        "invalid settings: " + problems.map { "\($0.key): \($0.reason)" }.joined(separator: "; ")
    }
}
