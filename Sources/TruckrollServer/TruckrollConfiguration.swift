import Configuration
import Foundation
import LibPQ
import Logging
import NIOSSL
import TruckrollAPI
import TruckrollPlanning

/// Every setting of the service, read once at start-up and passed down as values.
///
/// Precedence: command-line flag, then environment variable, then default.
///
/// | key | environment variable | type | default | secret |
/// |---|---|---|---|---|
/// | `http.host` | `TRUCKROLL_HTTP_HOST` | string | `127.0.0.1` | no |
/// | `http.port` | `TRUCKROLL_HTTP_PORT` | int 0…65535 | `8080` | no |
/// | `http.requestTimeoutMs` | `TRUCKROLL_HTTP_REQUEST_TIMEOUT_MS` | int 0…600000 (0: none) | `10000` | no |
/// | `rateLimit.perSecond` | `TRUCKROLL_RATE_LIMIT_PER_SECOND` | number 0…100000 (0: off) | `50` | no |
/// | `rateLimit.burst` | `TRUCKROLL_RATE_LIMIT_BURST` | int 1…100000 | `100` | no |
/// | `database.url` | `TRUCKROLL_DATABASE_URL` | `postgresql://` URL | none: embedded PostgreSQL | yes |
/// | `database.maxConnections` | `TRUCKROLL_DATABASE_MAX_CONNECTIONS` | int ≥ 1 | `10` | no |
/// | `database.leaseTimeoutMs` | `TRUCKROLL_DATABASE_LEASE_TIMEOUT_MS` | int ≥ 1 | `2000` | no |
/// | `database.preparedStatements` | `TRUCKROLL_DATABASE_PREPARED_STATEMENTS` | `true` or `false` | `true` | no |
/// | `tls.certificate` | `TRUCKROLL_TLS_CERTIFICATE` | PEM file: certificate chain | none: plain HTTP | no |
/// | `tls.key` | `TRUCKROLL_TLS_KEY` | PEM file: private key | none: plain HTTP | yes (the file) |
/// | `dataDir` | `TRUCKROLL_DATA_DIR` | path | see ``EmbeddedPostgres/defaultDataDirectory(environment:)`` | no |
/// | `pgBindir` | `TRUCKROLL_PG_BINDIR` | path | `pg_config --bindir`, then `PATH` | no |
/// | `migrationsDir` | `TRUCKROLL_MIGRATIONS_DIR` | path | `sql/migrations` | no |
/// | `log.level` | `TRUCKROLL_LOG_LEVEL` | trace…critical | `info` | no |
/// | `log.format` | `TRUCKROLL_LOG_FORMAT` | `text` or `json` | `text` | no |
/// | `planning.workers` | `TRUCKROLL_PLANNING_WORKERS` | int 0…16 | `1` | no |
/// | `planning.roadFactor` | `TRUCKROLL_PLANNING_ROAD_FACTOR` | number 1…3 | `1.3` | no |
/// | `planning.averageSpeedKmh` | `TRUCKROLL_PLANNING_AVERAGE_SPEED_KMH` | number 5…130 | `40` | no |
/// | `reports.refreshSeconds` | `TRUCKROLL_REPORTS_REFRESH_SECONDS` | int 0…86400 | `300` | no |
public struct TruckrollConfiguration: Sendable {
    /// Address to listen on.
    public var httpHost: String
    /// Port to listen on (0: any free port).
    public var httpPort: Int
    /// The longest a request may take before it is cancelled and answered 503 (`nil`: no deadline).
    public var requestTimeout: Duration?
    /// Requests per second and burst each API token may send (`nil`: no limit).
    public var rateLimit: RateLimit?
    /// The database URL; `nil` selects the embedded PostgreSQL.
    public var databaseURL: String?
    /// Pool size.
    public var maxConnections: Int
    /// Longest a request waits for a database connection.
    public var leaseTimeout: Duration
    /// Reuse prepared statements per connection; `false` behind PgBouncer in transaction mode (see `docs/scaling.md`).
    public var preparedStatements: Bool
    /// HTTPS: the certificate chain and key `serve` presents; `nil` serves plain HTTP.
    public var tls: TLSFiles?
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
    /// The travel model plans use: great-circle distance × road factor at an average speed.
    public var travel: GreatCircleTravel
    /// How often `serve` refreshes the reports' stored summaries (0: never; `truckroll report refresh` does it).
    public var reportRefreshInterval: Duration

    /// The server's certificate chain and private key, read and checked at start-up.
    public struct TLSFiles: Sendable {
        /// PEM file holding the server certificate, then any intermediates.
        public var certificatePath: String
        /// PEM file holding the private key.
        public var keyPath: String
        /// The server TLS settings made from the two files.
        public var serverConfiguration: TLSConfiguration
    }

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
        let requestTimeoutMs = Self.integer(reader, "http.requestTimeoutMs", default: 10_000, range: 0...600_000, problems: &problems)
        requestTimeout = requestTimeoutMs == 0 ? nil : .milliseconds(requestTimeoutMs)
        let ratePerSecond = Self.number(reader, "rateLimit.perSecond", default: 50, range: 0...100_000, problems: &problems)
        let rateBurst = Self.integer(reader, "rateLimit.burst", default: 100, range: 1...100_000, problems: &problems)
        rateLimit = ratePerSecond == 0 ? nil : RateLimit(perSecond: ratePerSecond, burst: rateBurst)
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
        let prepared = reader.string(forKey: "database.preparedStatements", default: "true")
        preparedStatements = prepared != "false"
        if !["true", "false"].contains(prepared) {
            problems.append(.init(key: "database.preparedStatements", reason: "expected true or false"))
        }
        tls = Self.tlsFiles(
            certificate: reader.string(forKey: "tls.certificate").flatMap { $0.isEmpty ? nil : $0 },
            key: reader.string(forKey: "tls.key").flatMap { $0.isEmpty ? nil : $0 }, problems: &problems
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
        travel = GreatCircleTravel(
            roadFactor: Self.number(reader, "planning.roadFactor", default: 1.3, range: 1...3, problems: &problems),
            averageSpeedKmh: Self.number(reader, "planning.averageSpeedKmh", default: 40, range: 5...130, problems: &problems))
        reportRefreshInterval = .seconds(Self.integer(reader, "reports.refreshSeconds", default: 300, range: 0...86_400, problems: &problems))
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
            ("http.requestTimeoutMs", requestTimeout.map { String(Int($0 / .milliseconds(1))) } ?? "0: no deadline"),
            ("rateLimit.perSecond", rateLimit.map { String($0.perSecond) } ?? "0: no limit"),
            ("rateLimit.burst", rateLimit.map { String($0.burst) } ?? "0: no limit"),
            ("database.url", database),
            ("database.maxConnections", String(maxConnections)),
            ("database.leaseTimeoutMs", String(Int(leaseTimeout / .milliseconds(1)))),
            ("database.preparedStatements", String(preparedStatements)),
            ("tls.certificate", tls?.certificatePath ?? "unset: plain HTTP"),
            ("tls.key", tls?.keyPath ?? "unset: plain HTTP"),
            ("dataDir", dataDirectory ?? EmbeddedPostgres.defaultDataDirectory(environment: environment)),
            ("pgBindir", postgresBinDirectory ?? "pg_config --bindir, then PATH"),
            ("migrationsDir", migrationsDirectory),
            ("log.level", logLevel.rawValue),
            ("log.format", logFormat.rawValue),
            ("planning.workers", String(planningWorkers)),
            ("planning.roadFactor", String(travel.roadFactor)),
            ("planning.averageSpeedKmh", String(travel.averageSpeedKmh)),
            ("reports.refreshSeconds", String(reportRefreshInterval.components.seconds)),
        ]
    }

    /// How to connect to the configured database, or `nil` for the embedded one.
    /// - Throws: ``PGError`` for an unparseable URL (already reported by `init`).
    public func databaseConnection() throws -> PGConnectionConfiguration? {
        guard let databaseURL else { return nil }
        var connection = try PGConnectionConfiguration(url: databaseURL)
        connection.cachesPreparedStatements = preparedStatements
        return connection
    }

    /// Both files or neither; each readable and parseable, and the key the certificate's.
    private static func tlsFiles(certificate: String?, key: String?, problems: inout [ConfigurationError.Problem]) -> TLSFiles? {
        guard let certificatePath = certificate, let keyPath = key else {
            if certificate != nil { problems.append(.init(key: "tls.certificate", reason: "needs tls.key (TRUCKROLL_TLS_KEY) as well")) }
            if key != nil { problems.append(.init(key: "tls.key", reason: "needs tls.certificate (TRUCKROLL_TLS_CERTIFICATE) as well")) }
            return nil
        }
        func unreadable(_ path: String, _ key: String) -> Bool {
            guard FileManager.default.isReadableFile(atPath: path) else {
                problems.append(.init(key: key, reason: "cannot read \(path)"))
                return true
            }
            return false
        }
        let certificateUnreadable = unreadable(certificatePath, "tls.certificate")
        let keyUnreadable = unreadable(keyPath, "tls.key")
        guard !certificateUnreadable, !keyUnreadable else { return nil }
        let chain = (try? NIOSSLCertificate.fromPEMFile(certificatePath)) ?? []
        if chain.isEmpty { problems.append(.init(key: "tls.certificate", reason: "\(certificatePath) holds no PEM certificate")) }
        let privateKey = try? NIOSSLPrivateKey(file: keyPath, format: .pem)
        if privateKey == nil { problems.append(.init(key: "tls.key", reason: "\(keyPath) holds no PEM private key")) }
        guard !chain.isEmpty, let privateKey else { return nil }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)
        )
        guard (try? NIOSSLContext(configuration: configuration)) != nil else {
            problems.append(.init(key: "tls.key", reason: "\(keyPath) is not the key of the certificate in \(certificatePath)"))
            return nil
        }
        return TLSFiles(certificatePath: certificatePath, keyPath: keyPath, serverConfiguration: configuration)
    }

    private static func number(
        _ reader: ConfigReader, _ key: ConfigKey, default value: Double, range: ClosedRange<Double>,
        problems: inout [ConfigurationError.Problem]
    ) -> Double {
        guard let text = reader.string(forKey: key) else { return value }
        guard let number = Double(text), range.contains(number) else {
            problems.append(.init(key: "\(key)", reason: "expected a number from \(range.lowerBound) to \(range.upperBound)"))
            return value
        }
        return number
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
