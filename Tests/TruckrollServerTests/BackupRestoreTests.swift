import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollTestSupport

/// `truckroll backup` and `truckroll restore` through the real executable, `pg_dump` and `pg_restore`.
@Suite struct BackupRestoreTests {
    /// Row count and checksum of every table, and the position of every sequence: equal fingerprints mean the same
    /// data, and the next insert takes the same id.
    private static func fingerprint(_ database: PGConnectionConfiguration) async throws -> [String: String] {
        try await PGConnection.withConnection(configuration: database) { connection in
            var result: [String: String] = [:]
            let tables = try await connection.query("""
                SELECT schemaname, tablename FROM pg_tables
                WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
                """)
            for table in tables {
                let schema = try table.decode(String.self, at: 0)
                let name = try table.decode(String.self, at: 1)
                let summary = try await connection.query("""
                    SELECT count(*)::text || ' rows, md5 ' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '-')
                    FROM \(identifier: schema).\(identifier: name) t
                    """)
                result["table \(schema).\(name)"] = try summary[0].decode(String.self, at: 0)
            }
            let sequences = try await connection.query(
                "SELECT schemaname || '.' || sequencename, coalesce(last_value::text, 'unused') FROM pg_sequences"
            )
            for sequence in sequences {
                result["sequence " + (try sequence.decode(String.self, at: 0))] = try sequence.decode(String.self, at: 1)
            }
            return result
        }
    }

    private static func temporaryFile(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-\(UUID().uuidString)\(suffix)").path
    }

    @Test func roundTripKeepsEveryRowAndSequenceAndRefusesANonEmptyDatabaseWithoutClean() async throws {
        let backup = Self.temporaryFile(".dump")
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try await TestDatabase.withDatabase { source in
            let sourceURL = TestDatabase.url(of: source)
            let demo = BuiltTruckroll.repository.appendingPathComponent("deploy/demo")
            for file in try FileManager.default.contentsOfDirectory(atPath: demo.path).filter({ $0.hasSuffix(".csv") }).sorted() {
                let resource = String(file.dropLast(4).drop { $0 != "-" }.dropFirst())
                let imported = try await BuiltTruckroll.run(
                    ["import", resource, demo.appendingPathComponent(file).path, "--database-url", sourceURL]
                )
                try #require(imported.status == 0, "import \(file): \(imported.output)")
            }
            let expected = try await Self.fingerprint(source)
            #expect(expected.count > 20, "every table and sequence: \(expected.keys.sorted())")
            #expect(expected["table public.unit"]?.hasPrefix("0 rows") == false, "the demo units were imported")

            let dumped = try await BuiltTruckroll.run(["backup", "--out", backup, "--database-url", sourceURL])
            #expect(dumped.status == 0, "\(dumped.output)")
            #expect(dumped.output.contains("backed up database"))
            #expect(!dumped.output.contains(try #require(source.setting("password"))), "the password is never printed")
            let mode = try #require(FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "the backup holds password hashes: owner only")
            #expect(!FileManager.default.fileExists(atPath: backup + ".partial"))

            try await TestDatabase.withDatabase(migrated: false) { target in
                let targetURL = TestDatabase.url(of: target)
                let restored = try await BuiltTruckroll.run(["restore", "--in", backup, "--database-url", targetURL])
                #expect(restored.status == 0, "\(restored.output)")
                #expect(try await Self.fingerprint(target) == expected)

                let refused = try await BuiltTruckroll.run(["restore", "--in", backup, "--database-url", targetURL])
                #expect(refused.status != 0)
                #expect(refused.output.split(separator: "\n").count == 1, "\(refused.output)")
                #expect(refused.output.contains("is not empty") && refused.output.contains("--clean"), "\(refused.output)")

                try await PGConnection.withConnection(configuration: target) { connection in
                    _ = try await connection.execute("DELETE FROM stock_item")
                }
                let replaced = try await BuiltTruckroll.run(["restore", "--in", backup, "--clean", "--database-url", targetURL])
                #expect(replaced.status == 0, "\(replaced.output)")
                #expect(try await Self.fingerprint(target) == expected, "--clean puts back what the backup holds")

                let migrate = try await BuiltTruckroll.run(
                    ["migrate", "--database-url", targetURL, "--migrations-dir", TestDatabase.migrationsDirectory]
                )
                #expect(migrate.output.contains("nothing to migrate"), "the migration history was restored: \(migrate.output)")
            }
        }
    }

    @Test func badFilesAndFailuresGiveOneLineAndANonZeroExit() async throws {
        let server = try TestDatabase.server()
        var wrong = try #require(URLComponents(string: TestDatabase.url(of: server)))
        wrong.password = "wrong-password"
        let notABackup = Self.temporaryFile(".txt")
        try Data("not a dump\n".utf8).write(to: URL(fileURLWithPath: notABackup))
        defer { try? FileManager.default.removeItem(atPath: notABackup) }
        let cases: [(arguments: [String], message: String)] = [
            (["restore", "--in", "/nonexistent/truckroll.dump", "--database-url", TestDatabase.url(of: server)],
             "cannot read backup file /nonexistent/truckroll.dump"),
            (["restore", "--in", notABackup, "--database-url", TestDatabase.url(of: server)], "is not a backup"),
            (["backup", "--out", "/nonexistent/truckroll.dump", "--database-url", TestDatabase.url(of: server)],
             "directory /nonexistent not found"),
            (["backup", "--out", Self.temporaryFile(".dump"), "--database-url", try #require(wrong.string)],
             "pg_dump failed"),
        ]
        for (arguments, message) in cases {
            let outcome = try await BuiltTruckroll.run(arguments)
            #expect(outcome.status != 0, "\(arguments)")
            #expect(outcome.output.split(separator: "\n").count == 1, "one line for \(arguments): \(outcome.output)")
            #expect(outcome.output.contains(message), "\(arguments): \(outcome.output)")
            #expect(!outcome.output.contains("wrong-password"))
        }
    }
}
