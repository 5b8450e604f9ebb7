import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `truckroll` executable: what an operator types, what they see, and the exit status.
@Suite struct CommandLineTests {
    static let executable: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/truckroll").path
    }()

    private func truckroll(_ arguments: String...) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        return try await ChildProcess.run(Self.executable, arguments, environment: environment)
    }

    @Test func migrateAppliesThenReportsStatus() async throws {
        try await TestDatabase.withDatabase(migrated: false) { database in
            let url = TestDatabase.url(of: database)
            let migrations = TestDatabase.migrationsDirectory
            let pending = try await truckroll("migrate", "--status", "--database-url", url, "--migrations-dir", migrations)
            #expect(pending.status == 0)
            #expect(pending.output.contains("pending  0001_extensions.sql"))

            let applied = try await truckroll("migrate", "--database-url", url, "--migrations-dir", migrations)
            #expect(applied.status == 0)
            #expect(applied.output.contains("applied") && applied.output.contains("0001_extensions.sql"))
            #expect(!applied.output.contains(try #require(database.setting("password"))), "the password is never printed")

            let again = try await truckroll("migrate", "--database-url", url, "--migrations-dir", migrations)
            #expect(again.output.contains("nothing to migrate"))
            let status = try await truckroll("migrate", "--status", "--database-url", url, "--migrations-dir", migrations)
            #expect(status.output.contains("applied  0001_extensions.sql"))
            #expect(status.output.contains(" 0 pending"))
        }
    }

    @Test func badInputGivesOneLineAndANonZeroExit() async throws {
        let server = try TestDatabase.server()
        var wrong = URLComponents(string: TestDatabase.url(of: server))!
        wrong.password = "wrong-password"
        let cases: [(arguments: [String], message: String)] = [
            (["migrate", "--database-url", "postgresql://a@[::1/db"], "invalid database URL"),
            (["migrate", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
              "--migrations-dir", TestDatabase.migrationsDirectory], "cannot connect to the database"),
            (["migrate", "--database-url", wrong.string!, "--migrations-dir", TestDatabase.migrationsDirectory],
             "password authentication failed"),
            (["migrate", "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--migrations-dir", "/nonexistent"],
             "migrations directory /nonexistent not found"),
            (["serve", "--port", "99999"], "http.port"),
        ]
        for (arguments, message) in cases {
            let outcome = try await ChildProcess.run(Self.executable, arguments)
            #expect(outcome.status != 0, "\(arguments)")
            let lines = outcome.output.split(separator: "\n")
            #expect(lines.count == 1, "one line for \(arguments): \(outcome.output)")
            #expect(outcome.output.contains(message), "\(arguments): \(outcome.output)")
            #expect(!outcome.output.contains("wrong-password"))
        }
    }

    @Test func configCheckPrintsEffectiveSettingsWithoutSecretsAndListsEveryProblem() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = "postgresql://ann:s3cr3t-pw@db.example:5433/truckroll"
        environment["TRUCKROLL_DATABASE_MAX_CONNECTIONS"] = "25"
        let valid = try await ChildProcess.run(Self.executable, ["config", "check", "--port", "9090"], environment: environment)
        #expect(valid.status == 0)
        #expect(valid.output.contains("postgresql://ann@db.example:5433/truckroll (password hidden)"))
        #expect(valid.output.contains(try Regex(#"http\.port +9090\n"#)))
        #expect(valid.output.contains(try Regex(#"database\.maxConnections +25\n"#)))
        #expect(!valid.output.contains("s3cr3t-pw"))

        environment["TRUCKROLL_DATABASE_URL"] = "postgresql://ann:s3cr3t-pw@[::1/truckroll"
        environment["TRUCKROLL_HTTP_PORT"] = "eighty"
        environment["TRUCKROLL_LOG_LEVEL"] = "loud"
        let invalid = try await ChildProcess.run(Self.executable, ["config", "check"], environment: environment)
        #expect(invalid.status != 0)
        #expect(invalid.output.split(separator: "\n").count == 1)
        for key in ["http.port", "database.url", "log.level"] { #expect(invalid.output.contains(key)) }
        #expect(!invalid.output.contains("s3cr3t-pw"))
    }

    @Test func serveAnswersHealthThenStopsCleanlyOnSIGTERM() async throws {
        try await TestDatabase.withDatabase { database in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = [
                "serve", "--port", "0", "--database-url", TestDatabase.url(of: database),
                "--migrations-dir", TestDatabase.migrationsDirectory, "--log-level", "warning",
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            let banner = try await Self.firstLine(of: output.fileHandleForReading)
            #expect(banner.hasPrefix("Truckroll is serving on http://127.0.0.1:"))
            let address = try #require(banner.split(separator: " ").first { $0.hasPrefix("http://") })
            let (body, response) = try await URLSession.shared.data(from: URL(string: "\(address)/health")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: body, as: UTF8.self).contains("reachable"))

            process.terminate()  // SIGTERM
            let status = await Self.exitStatus(of: process)
            #expect(status == 0, "graceful shutdown exits 0")
        }
    }

    /// The first line a child process writes to `handle` (its banner).
    static func firstLine(of handle: FileHandle) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    guard let byte = chunk.first else {
                        continuation.resume(throwing: TestSupportError("serve exited before printing its address"))
                        return
                    }
                    if byte == UInt8(ascii: "\n") { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// Waits for `process` to exit, on a thread of its own.
    static func exitStatus(of process: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}
