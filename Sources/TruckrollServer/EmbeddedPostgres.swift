import Foundation
import LibPQ
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster that Truckroll initialises, starts and stops itself, used when no database URL is
/// configured.
///
/// - The first start runs `initdb` (UTF-8, `C.UTF-8`, SCRAM) with a random password kept in a 0600 file inside the
///   data directory; later starts reuse the cluster, so data persists.
/// - The server listens on a free loopback port and on a Unix socket inside the data directory.
/// - As root it runs the server programs as the `postgres` system user, since PostgreSQL refuses to run as root.
/// - A lock file beside the data directory keeps a second Truckroll process from using the same cluster.
public struct EmbeddedPostgres: Sendable {
    /// How to run the cluster.
    public struct Options: Sendable {
        /// The cluster's data directory.
        public var dataDirectory: String
        /// Where `initdb`, `pg_ctl` and `postgres` are; `nil` to search.
        public var binDirectory: String?
        /// Keep `fsync` on (production durability). Tests may turn it off for speed: commits then survive a server
        /// crash but not an operating-system crash.
        public var durable: Bool

        /// Creates options.
        public init(dataDirectory: String, binDirectory: String? = nil, durable: Bool = true) {
            self.dataDirectory = dataDirectory
            self.binDirectory = binDirectory
            self.durable = durable
        }
    }

    /// The database created inside the cluster for Truckroll.
    public static let databaseName = "truckroll"
    /// The superuser role created by `initdb`.
    public static let userName = "truckroll"

    /// `TRUCKROLL_DATA_DIR` if set; else `/var/lib/truckroll/postgres` for root; else
    /// `$XDG_DATA_HOME/truckroll/postgres` or `~/.local/share/truckroll/postgres`.
    public static func defaultDataDirectory(environment: [String: String]) -> String {
        if let directory = environment["TRUCKROLL_DATA_DIR"], !directory.isEmpty { return directory }
        if geteuid() == 0 { return "/var/lib/truckroll/postgres" }
        if let dataHome = environment["XDG_DATA_HOME"], !dataHome.isEmpty { return dataHome + "/truckroll/postgres" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/truckroll/postgres"
    }

    /// Initialises the cluster if needed, starts it and makes sure the `truckroll` database exists.
    /// - Parameters:
    ///   - options: Data directory and binaries.
    ///   - environment: The process environment (for `PATH`).
    ///   - logger: Receives start-up events; never the password.
    /// - Returns: The running cluster; call ``RunningPostgres/stop()`` before exiting.
    /// - Throws: ``EmbeddedPostgresError`` with a message a user can act on.
    public static func start(
        options: Options, environment: [String: String], logger: Logger
    ) async throws -> RunningPostgres {
        let programs = try await ServerPrograms.locate(binDirectory: options.binDirectory, environment: environment)
        let owner = try ClusterOwner.current()
        let dataDirectory = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        try createDirectory(dataDirectory, owner: owner)
        let lock = try DirectoryLock(path: dataDirectory + ".lock")
        do {
            let password = try await initialiseIfNeeded(dataDirectory, programs: programs, owner: owner, logger: logger)
            let port = try await startServer(dataDirectory, options: options, programs: programs, owner: owner, logger: logger)
            let admin = PGConnectionConfiguration(
                host: "127.0.0.1", port: port, user: userName, password: password, database: "postgres"
            )
            try await createDatabaseIfNeeded(admin: admin, logger: logger)
            logger.info("embedded PostgreSQL running", metadata: [
                "db.data_dir": "\(dataDirectory)", "db.port": "\(port)",
            ])
            return RunningPostgres(
                configuration: admin.with(database: databaseName), port: port, dataDirectory: dataDirectory,
                programs: programs, owner: owner, lock: lock
            )
        } catch {
            lock.release()
            throw error
        }
    }

    private static func createDirectory(_ path: String, owner: ClusterOwner) throws {
        let fileManager = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        do {
            try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if !fileManager.fileExists(atPath: path) {
                try fileManager.createDirectory(atPath: path, withIntermediateDirectories: false)
            }
        } catch {
            throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot create it (\(error.localizedDescription))")
        }
        if let user = owner.systemUser {
            guard chown(path, user.uid, user.gid) == 0 else {
                throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot hand it to the postgres user")
            }
        }
        guard chmod(path, 0o700) == 0 else {
            throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot restrict its permissions")
        }
    }

    private static func initialiseIfNeeded(
        _ dataDirectory: String, programs: ServerPrograms, owner: ClusterOwner, logger: Logger
    ) async throws -> String {
        let fileManager = FileManager.default
        let passwordFile = dataDirectory + "/truckroll.password"
        if fileManager.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            guard let data = fileManager.contents(atPath: passwordFile),
                  let password = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !password.isEmpty
            else {
                throw EmbeddedPostgresError.dataDirectoryUnusable(
                    path: dataDirectory, reason: "it holds a cluster that Truckroll did not create (no truckroll.password)"
                )
            }
            return password
        }
        guard (try? fileManager.contentsOfDirectory(atPath: dataDirectory))?.isEmpty ?? false else {
            throw EmbeddedPostgresError.dataDirectoryUnusable(
                path: dataDirectory, reason: "it is not empty and is not a PostgreSQL data directory"
            )
        }
        let password = randomPassword()
        // initdb reads the password from a file; keep it beside the data directory only while initdb runs.
        let seed = dataDirectory + ".pwseed"
        try writePrivateFile(seed, contents: password, owner: owner)
        defer { try? fileManager.removeItem(atPath: seed) }
        logger.info("initialising embedded PostgreSQL", metadata: ["db.data_dir": "\(dataDirectory)"])
        try await owner.run(programs.initdb, [
            "-D", dataDirectory, "-U", userName, "--pwfile=\(seed)", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
        ], failure: { EmbeddedPostgresError.initdbFailed(output: $0) })
        try writePrivateFile(passwordFile, contents: password, owner: owner)
        return password
    }

    private static func startServer(
        _ dataDirectory: String, options: Options, programs: ServerPrograms, owner: ClusterOwner, logger: Logger
    ) async throws -> Int {
        // We hold the lock, so a server still running here was left by a Truckroll process that died: adopt it.
        if let port = runningServerPort(dataDirectory) {
            logger.info("embedded PostgreSQL adopted", metadata: ["db.port": "\(port)"])
            return port
        }
        var lastOutput = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            var settings = "-p \(port) -k \(dataDirectory) -c listen_addresses=127.0.0.1"
            if !options.durable { settings += " -c fsync=off -c full_page_writes=off" }
            do {
                try await owner.run(programs.pgCtl, [
                    "-D", dataDirectory, "-l", dataDirectory + "/truckroll-server.log", "-w", "-t", "60",
                    "-o", settings, "start",
                ], failure: { EmbeddedPostgresError.startFailed(output: $0) })
                return port
            } catch EmbeddedPostgresError.startFailed(let output) {
                // Most likely another program took the port between our probe and the start: try another.
                lastOutput = output
            }
        }
        let logTail = (try? String(contentsOfFile: dataDirectory + "/truckroll-server.log", encoding: .utf8))
            .map { $0.split(separator: "\n").suffix(5).joined(separator: "\n") } ?? ""
        throw EmbeddedPostgresError.startFailed(output: lastOutput + "\n" + logTail)
    }

    private static func runningServerPort(_ dataDirectory: String) -> Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 3, let pid = pid_t(lines[0]), let port = Int(lines[3]) else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return port
    }

    private static func createDatabaseIfNeeded(admin: PGConnectionConfiguration, logger: Logger) async throws {
        let connection = try await PGConnection.connect(configuration: admin, logger: logger)
        do {
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(databaseName)")
            if exists.isEmpty {
                try await connection.execute("CREATE DATABASE \(identifier: databaseName)")
            }
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }

    private static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    private static func writePrivateFile(_ path: String, contents: String, owner: ClusterOwner) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot write the password file")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot write the password file")
        }
        if let user = owner.systemUser { _ = fchown(descriptor, user.uid, user.gid) }
    }

    private static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw EmbeddedPostgresError.noFreePort }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw EmbeddedPostgresError.noFreePort }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A started cluster.
public struct RunningPostgres: Sendable {
    /// How to reach the `truckroll` database (as the cluster's superuser).
    public let configuration: PGConnectionConfiguration
    /// The loopback port it listens on.
    public let port: Int
    /// Its data directory.
    public let dataDirectory: String
    fileprivate let programs: ServerPrograms
    fileprivate let owner: ClusterOwner
    fileprivate let lock: DirectoryLock

    /// Stops the server (`pg_ctl stop -m fast`: sessions are ended, the data is checkpointed) and releases the lock.
    public func stop() async throws {
        defer { lock.release() }
        try await owner.run(programs.pgCtl, ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"],
                            failure: { EmbeddedPostgresError.stopFailed(output: $0) })
    }

    /// Stops the server abruptly (`-m immediate`, as in a crash) without releasing the lock; for fault tests.
    public func crash() async throws {
        try await owner.run(programs.pgCtl, ["-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                            failure: { EmbeddedPostgresError.stopFailed(output: $0) })
    }

    /// Starts the server again on the same port after ``crash()``; for fault tests.
    public func restart() async throws {
        try await owner.run(programs.pgCtl, [
            "-D", dataDirectory, "-l", dataDirectory + "/truckroll-server.log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(dataDirectory) -c listen_addresses=127.0.0.1", "start",
        ], failure: { EmbeddedPostgresError.startFailed(output: $0) })
    }
}

/// Why the embedded PostgreSQL cannot run.
public enum EmbeddedPostgresError: Error, CustomStringConvertible, Equatable {
    /// `initdb`, `pg_ctl` or `postgres` is missing.
    case serverProgramsMissing(searched: String)
    /// Running as root, but there is no unprivileged `postgres` user to run the server as.
    case noUnprivilegedUser
    /// The data directory cannot be created or used.
    case dataDirectoryUnusable(path: String, reason: String)
    /// Another Truckroll process is using this data directory.
    case alreadyInUse(path: String)
    /// `initdb` failed.
    case initdbFailed(output: String)
    /// The server did not start.
    case startFailed(output: String)
    /// The server did not stop.
    case stopFailed(output: String)
    /// No free loopback port could be found.
    case noFreePort

    public var description: String {
        switch self {
        case .serverProgramsMissing(let searched):
            "PostgreSQL server programs (initdb, pg_ctl, postgres) not found in \(searched); install them with: "
                + "apt-get install -y postgresql (or set TRUCKROLL_PG_BINDIR, or TRUCKROLL_DATABASE_URL to use an existing server)"
        case .noUnprivilegedUser:
            "running as root, but PostgreSQL refuses to run as root and there is no 'postgres' system user; "
                + "install the postgresql package (it creates one) or run as an ordinary user"
        case .dataDirectoryUnusable(let path, let reason):
            "cannot use the embedded PostgreSQL data directory \(path): \(reason)"
        case .alreadyInUse(let path):
            "the embedded PostgreSQL in \(path) is in use by another truckroll process; stop it, "
                + "or set TRUCKROLL_DATA_DIR to another directory"
        case .initdbFailed(let output):
            "initdb failed: \(output)"
        case .startFailed(let output):
            "the embedded PostgreSQL did not start: \(output)"
        case .stopFailed(let output):
            "the embedded PostgreSQL did not stop: \(output)"
        case .noFreePort:
            "no free loopback port for the embedded PostgreSQL"
        }
    }
}

/// Absolute paths of the server programs.
struct ServerPrograms: Sendable {
    let initdb: String
    let pgCtl: String

    static func locate(binDirectory: String?, environment: [String: String]) async throws -> ServerPrograms {
        // A directory the operator named is the only place looked at: silently using another would surprise.
        var candidates: [String] = []
        if let named = binDirectory ?? environment["TRUCKROLL_PG_BINDIR"] {
            candidates = [named]
        } else {
            if let pgConfig = await Self.pgConfigBinDirectory() { candidates.append(pgConfig) }
            candidates += (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        }
        let fileManager = FileManager.default
        for directory in candidates {
            let names = ["initdb", "pg_ctl", "postgres"]
            if names.allSatisfy({ fileManager.isExecutableFile(atPath: directory + "/" + $0) }) {
                return ServerPrograms(initdb: directory + "/initdb", pgCtl: directory + "/pg_ctl")
            }
        }
        throw EmbeddedPostgresError.serverProgramsMissing(
            searched: candidates.count == 1 ? candidates[0] : "pg_config --bindir and PATH"
        )
    }

    private static func pgConfigBinDirectory() async -> String? {
        guard let outcome = try? await ChildProcess.run("pg_config", ["--bindir"]), outcome.status == 0 else { return nil }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The account the server programs run as: this process's, or `postgres` when this process is root.
struct ClusterOwner: Sendable {
    struct SystemUser: Sendable {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    /// `nil`: run programs directly as the current user.
    let systemUser: SystemUser?

    static func current() throws -> ClusterOwner {
        guard geteuid() == 0 else { return ClusterOwner(systemUser: nil) }
        guard let entry = getpwnam("postgres") else { throw EmbeddedPostgresError.noUnprivilegedUser }
        return ClusterOwner(systemUser: SystemUser(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid))
    }

    /// Runs a server program as the cluster owner; a non-zero exit becomes `failure` with the output's last lines.
    func run(
        _ program: String, _ arguments: [String], failure: @escaping @Sendable (String) -> EmbeddedPostgresError
    ) async throws {
        let command: (String, [String])
        if let systemUser {
            let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
            command = (runuser, ["-u", systemUser.name, "--", program] + arguments)
        } else {
            command = (program, arguments)
        }
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await ChildProcess.run(command.0, command.1)
        } catch {
            throw failure("cannot run \(program): \(error)")
        }
        guard outcome.status == 0 else {
            let lines = outcome.output.split(separator: "\n").suffix(6).joined(separator: " | ")
            throw failure(lines.isEmpty ? "exit status \(outcome.status)" : lines)
        }
    }
}

/// An exclusive `flock` on a file beside the data directory, released when the process exits.
final class DirectoryLock: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError.dataDirectoryUnusable(path: path, reason: "cannot create its lock file")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw EmbeddedPostgresError.alreadyInUse(path: String(path.dropLast(".lock".count)))
        }
        self.descriptor = descriptor
    }

    func release() {
        flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }
}
