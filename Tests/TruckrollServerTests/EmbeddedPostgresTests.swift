import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollTestSupport

/// The embedded PostgreSQL initialises once, keeps its data across restarts and refuses a second user.
@Suite struct EmbeddedPostgresTests {
    @Test func startStopRestartKeepsDataAndASecondInstanceIsRefused() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-embedded-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let options = EmbeddedPostgres.Options(dataDirectory: base.appendingPathComponent("postgres").path, durable: false)
        let environment = ProcessInfo.processInfo.environment

        let first = try await EmbeddedPostgres.start(options: options, environment: environment, logger: TestDatabase.silentLogger)
        do {
            try await PGConnection.withConnection(configuration: first.configuration) { connection in
                try await connection.execute("CREATE TABLE kept (note text)")
                try await connection.execute("INSERT INTO kept VALUES (\("still here"))")
            }
            let second = await #expect(throws: EmbeddedPostgresError.self) {
                try await EmbeddedPostgres.start(options: options, environment: environment, logger: TestDatabase.silentLogger)
            }
            #expect(second == .alreadyInUse(path: options.dataDirectory))
            #expect(second?.description.contains("in use by another truckroll process") == true)
        } catch {
            try? await first.stop()
            throw error
        }
        try await first.stop()
        let password = try String(contentsOfFile: options.dataDirectory + "/truckroll.password", encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: options.dataDirectory + "/truckroll.password")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(password.count >= 32)

        let again = try await EmbeddedPostgres.start(options: options, environment: environment, logger: TestDatabase.silentLogger)
        do {
            let notes = try await PGConnection.withConnection(configuration: again.configuration) { connection in
                try await connection.query("SELECT note FROM kept").map { try $0.decode(String.self, at: 0) }
            }
            #expect(notes == ["still here"])
        } catch {
            try? await again.stop()
            throw error
        }
        try await again.stop()
    }

    @Test func missingServerProgramsAndForeignDirectoriesAreClearErrors() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-embedded-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let missing = await #expect(throws: EmbeddedPostgresError.self) {
            try await EmbeddedPostgres.start(
                options: .init(dataDirectory: base.appendingPathComponent("pg").path, binDirectory: "/nonexistent"),
                environment: ["PATH": "/nonexistent"], logger: TestDatabase.silentLogger
            )
        }
        #expect(missing?.description.contains("apt-get install -y postgresql") == true)

        let foreign = base.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try "x".write(to: foreign.appendingPathComponent("stray.txt"), atomically: true, encoding: .utf8)
        let notEmpty = await #expect(throws: EmbeddedPostgresError.self) {
            try await EmbeddedPostgres.start(
                options: .init(dataDirectory: foreign.path), environment: ProcessInfo.processInfo.environment,
                logger: TestDatabase.silentLogger
            )
        }
        #expect(notEmpty?.description.contains("not empty") == true)
    }

    @Test func defaultDataDirectoryFollowsTheEnvironment() {
        #expect(EmbeddedPostgres.defaultDataDirectory(environment: ["TRUCKROLL_DATA_DIR": "/srv/tr"]) == "/srv/tr")
        if geteuid() == 0 {
            #expect(EmbeddedPostgres.defaultDataDirectory(environment: [:]) == "/var/lib/truckroll/postgres")
        } else {
            #expect(EmbeddedPostgres.defaultDataDirectory(environment: ["HOME": "/home/ann"])
                == "/home/ann/.local/share/truckroll/postgres")
            #expect(EmbeddedPostgres.defaultDataDirectory(environment: ["XDG_DATA_HOME": "/data"])
                == "/data/truckroll/postgres")
        }
    }
}
