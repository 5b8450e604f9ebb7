import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LibPQ
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import TruckrollAPI
import TruckrollPlanning
import TruckrollStore

/// The database a command works against: the configured server, or the embedded one started for this process.
public struct DatabaseTarget: Sendable {
    /// How to connect.
    public let configuration: PGConnectionConfiguration
    /// The embedded cluster, when one was started; stop it before exiting.
    public let embedded: RunningPostgres?

    /// Connects to the configured URL, or starts the embedded PostgreSQL (and migrates it) when none is set.
    /// - Parameters:
    ///   - configuration: The service configuration.
    ///   - environment: The process environment.
    ///   - migrateEmbedded: Apply pending migrations to the embedded database (its owner is this process).
    ///   - logger: For start-up events.
    /// - Throws: ``EmbeddedPostgresError``, ``MigrationError`` or ``PGError``.
    public static func resolve(
        configuration: TruckrollConfiguration, environment: [String: String], migrateEmbedded: Bool, logger: Logger
    ) async throws -> DatabaseTarget {
        if let connection = try configuration.databaseConnection() {
            return DatabaseTarget(configuration: connection, embedded: nil)
        }
        let options = EmbeddedPostgres.Options(
            dataDirectory: configuration.dataDirectory ?? EmbeddedPostgres.defaultDataDirectory(environment: environment),
            binDirectory: configuration.postgresBinDirectory
        )
        let running = try await EmbeddedPostgres.start(options: options, environment: environment, logger: logger)
        if migrateEmbedded {
            do {
                let migrations = try Migration.load(directory: configuration.migrationsDirectory)
                try await MigrationRunner(configuration: running.configuration, migrations: migrations, logger: logger).migrate()
            } catch {
                try? await running.stop()
                throw error
            }
        }
        return DatabaseTarget(configuration: running.configuration, embedded: running)
    }
}

/// Why `serve` refuses to start.
public enum ServeError: Error, CustomStringConvertible, Equatable {
    /// The configured database lacks migrations; `truckroll migrate` applies them.
    case pendingMigrations([String])
    /// Another program listens on the address.
    case addressInUse(host: String, port: Int)
    /// `truckroll worker` shares a database with the API, so it needs one configured.
    case databaseRequired

    public var description: String {
        switch self {
        case .pendingMigrations(let files):
            "the database has \(files.count) pending migration(s): \(files.joined(separator: ", ")); "
                + "apply them with: truckroll migrate"
        case .addressInUse(let host, let port):
            "cannot listen on \(host):\(port): the port is in use (choose another with --port or TRUCKROLL_HTTP_PORT)"
        case .databaseRequired:
            "planning workers need the API's database: pass --database-url or set TRUCKROLL_DATABASE_URL"
        }
    }
}

/// Builds the HTTP application on a connection pool: routes, the error boundary and request logging; HTTPS when
/// the configuration has TLS files.
/// - Parameters:
///   - configuration: Listening address and TLS.
///   - pool: The database pool the routes use.
///   - services: Services the application runs and stops in reverse order (the pool, the embedded database).
///   - onServerRunning: Called with the bound port once the server accepts connections.
///   - logger: The application logger.
/// - Returns: An application ready to `runService()`.
/// - Throws: Never in practice: Hummingbird's TLS server builder is declared `throws`, but its TLS settings were
///   already checked when the configuration was read.
public func buildApplication(
    configuration: TruckrollConfiguration,
    pool: PGPool,
    services: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    logger: Logger
) throws -> some ApplicationProtocol {
    let router = buildRouter(
        pool: pool, travel: configuration.travel, requestTimeout: configuration.requestTimeout, rateLimit: configuration.rateLimit
    )
    return Application(
        router: router,
        server: try configuration.tls.map { try HTTPServerBuilder.tls(.http1(), tlsConfiguration: $0.serverConfiguration) } ?? .http1(),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "truckroll"
        ),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.httpPort) },
        logger: logger
    )
}

/// Serves the application (the router of `serve`, without its background services) on the configured address until
/// `body` returns, then stops it: for tests and benchmarks that drive the real API in-process.
/// - Parameter body: Receives the base URL, once the server accepts connections.
/// - Throws: What `body` threw, or why the server stopped before it listened.
public func withServedApplication(
    configuration: TruckrollConfiguration, pool: PGPool, logger: Logger, _ body: @Sendable (URL) async throws -> Void
) async throws {
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let application = try buildApplication(
        configuration: configuration, pool: pool, onServerRunning: { portContinuation.yield($0) }, logger: logger
    )
    // Stopped by a graceful shutdown rather than by cancellation, which the server would log as an error.
    let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { portContinuation.finish() }
            try await services.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return try await group.waitForAll() }
        do {
            try await body(URL(string: "http://\(configuration.httpHost):\(port)")!)
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}

/// The routes: health and the API description in the open, everything under `/v1` behind a token.
/// - Parameters:
///   - pool: The database pool the routes use.
///   - travel: The travel model of plans.
///   - requestTimeout: The longest a request may take before it is cancelled and answered 503; `nil`: no deadline.
///   - rateLimit: The rate each token may send to `/v1` before it is answered 429; `nil`: no limit.
public func buildRouter(
    pool: PGPool, travel: GreatCircleTravel = GreatCircleTravel(), requestTimeout: Duration? = nil, rateLimit: RateLimit? = nil
) -> Router<TruckrollRequestContext> {
    let router = Router(context: TruckrollRequestContext.self)
    _ = ServiceMetrics.registry
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(translate: translateDatabaseError))
    if let requestTimeout { router.add(middleware: RequestDeadlineMiddleware(timeout: requestTimeout)) }
    HealthController(databaseIsReachable: { await databaseIsReachable(pool) }).addRoutes(to: router)
    router.get("metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: ServiceMetrics.exposition(pool: pool))))
    }
    let openAPI = OpenAPIDocument.json()
    router.get("openapi.json") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: openAPI)))
    }
    let access = AccessStore(pool: pool)
    LoginController(access: access).addRoutes(to: router)
    let api = router.group("v1")
    if let rateLimit { api.add(middleware: RateLimitMiddleware(limit: rateLimit)) }
    api.add(middleware: ResourceConcurrencyMiddleware(poolSize: pool.options.maxConnections))
    api.add(middleware: AuthenticationMiddleware(access: access))
    RegistryController(
        store: RegistryStore(pool: pool), access: access, transitions: TransitionStore(pool: pool),
        fieldWork: FieldWorkStore(pool: pool)
    ).addRoutes(to: api)
    ReportController(reports: ReportStore(pool: pool)).addRoutes(to: api)
    PlanController(runs: PlanRunStore(pool: pool, travel: travel)).addRoutes(to: api)
    return router
}

/// Runs `truckroll serve` until SIGINT or SIGTERM: database (embedded or configured), migration check, pool, HTTP.
/// - Parameters:
///   - configuration: The service configuration.
///   - environment: The process environment.
///   - prepare: Runs on the pool before the server starts listening (the demo loads its data here).
///   - onServerRunning: Called with the bound port once the server accepts connections.
///   - logger: The application logger.
/// - Throws: ``ServeError``, ``EmbeddedPostgresError``, ``MigrationError`` or ``PGError`` before serving starts.
public func runServer(
    configuration: TruckrollConfiguration,
    environment: [String: String],
    prepare: @Sendable (PGPool) async throws -> Void = { _ in },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    logger: Logger
) async throws {
    if configuration.httpPort != 0, !portIsFree(host: configuration.httpHost, port: configuration.httpPort) {
        throw ServeError.addressInUse(host: configuration.httpHost, port: configuration.httpPort)
    }
    let database = try await DatabaseTarget.resolve(
        configuration: configuration, environment: environment, migrateEmbedded: true, logger: logger
    )
    var services: [any Service] = []
    if let embedded = database.embedded { services.append(EmbeddedPostgresService(running: embedded, logger: logger)) }
    do {
        if database.embedded == nil {
            let migrations = try Migration.load(directory: configuration.migrationsDirectory)
            let status = try await MigrationRunner(configuration: database.configuration, migrations: migrations, logger: logger).status()
            guard status.pending.isEmpty else { throw ServeError.pendingMigrations(status.pending.map(\.fileName)) }
        }
    } catch {
        try? await database.embedded?.stop()
        throw error
    }
    let pool = PGPool(
        configuration: database.configuration,
        options: PGPool.Options(maxConnections: configuration.maxConnections, leaseTimeout: configuration.leaseTimeout),
        logger: logger
    )
    services.append(PoolService(pool: pool))
    services += planningWorkers(count: configuration.planningWorkers, pool: pool, travel: configuration.travel, logger: logger)
    if configuration.reportRefreshInterval > .zero {
        services.append(ReportSummaryRefresher(outcomes: SLAOutcomeStore(pool: pool), interval: configuration.reportRefreshInterval, logger: logger))
    }
    do {
        try await prepare(pool)
    } catch {
        await pool.shutdown()
        try? await database.embedded?.stop()
        throw error
    }
    let application = try buildApplication(
        configuration: configuration, pool: pool, services: services, onServerRunning: onServerRunning, logger: logger
    )
    try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
}

/// `count` planning workers named after this host and process.
public func planningWorkers(count: Int, pool: PGPool, travel: GreatCircleTravel = GreatCircleTravel(), logger: Logger) -> [PlanningWorker] {
    let process = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    return (0..<count).map { PlanningWorker(runs: PlanRunStore(pool: pool, travel: travel), name: "\(process)/\($0 + 1)", logger: logger) }
}

/// Maps database failures to 503 problems: the client may retry once the database is back.
@Sendable func translateDatabaseError(_ error: any Error) -> Problem? {
    guard let error = error as? PGError else { return nil }
    if error.kind == .poolTimeout { return .unavailable("the database is busy; retry shortly") }
    if error.isConnectionLost { return .unavailable("the database is unavailable; retry shortly") }
    if error.isQueryCanceled || error.sqlState == .lockNotAvailable {
        return .timedOut("the database did not answer in time (a statement or lock timeout); retry shortly")
    }
    return nil
}

private func databaseIsReachable(_ pool: PGPool) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask { (try? await pool.query("SELECT 1")) != nil }
        group.addTask {
            try? await Task.sleep(for: .seconds(3))
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}

private func portIsFree(host: String, port: Int) -> Bool {
    guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else { return true }
    let descriptor = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return true }
    defer { close(descriptor) }
    var reuse: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    return address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) == 0 }
}

/// Keeps the pool for the application's lifetime and closes it on shutdown.
struct PoolService: Service {
    let pool: PGPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}

/// Stops the embedded PostgreSQL on shutdown; listed first, so it stops last.
struct EmbeddedPostgresService: Service {
    let running: RunningPostgres
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try await running.stop()
            logger.info("embedded PostgreSQL stopped")
        } catch {
            logger.error("embedded PostgreSQL did not stop", metadata: ["error": "\(error)"])
        }
    }
}

/// Runs `truckroll worker`: planning workers only, no HTTP, against a configured database, until SIGINT or SIGTERM.
/// - Throws: ``ServeError`` when no database is configured or migrations are pending.
public func runPlanningWorkers(configuration: TruckrollConfiguration, count: Int, logger: Logger) async throws {
    guard let database = try configuration.databaseConnection() else { throw ServeError.databaseRequired }
    let migrations = try Migration.load(directory: configuration.migrationsDirectory)
    let status = try await MigrationRunner(configuration: database, migrations: migrations, logger: logger).status()
    guard status.pending.isEmpty else { throw ServeError.pendingMigrations(status.pending.map(\.fileName)) }
    let pool = PGPool(configuration: database, options: PGPool.Options(maxConnections: max(2, count + 1), leaseTimeout: configuration.leaseTimeout),
                      logger: logger)
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: PoolService(pool: pool))] + planningWorkers(count: count, pool: pool, travel: configuration.travel, logger: logger).map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    logger.info("planning workers started", metadata: ["workers": "\(count)"])
    try await group.run()
}
