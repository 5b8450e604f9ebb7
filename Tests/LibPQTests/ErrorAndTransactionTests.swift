import Foundation
import LibPQ
import Logging
import Synchronization
import Testing
import TruckrollTestSupport

/// Server errors arrive as `PGError`s with their SQLSTATE and fields; transactions commit or roll back as a whole.
@Suite struct ErrorAndTransactionTests {
    static let schema = """
        CREATE TABLE store_depot (id bigint PRIMARY KEY, code text UNIQUE NOT NULL, capacity integer CHECK (capacity > 0));
        CREATE TABLE store_van (id bigint PRIMARY KEY, depot_id bigint NOT NULL REFERENCES store_depot(id));
        CREATE TABLE booking (
            technician_id bigint NOT NULL, starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,
            CONSTRAINT booking_no_overlap EXCLUDE USING gist (technician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        );
        """

    @Test func statementsAreCachedPerConnectionUnlessTurnedOff() async throws {
        try await TestDatabase.withDatabase { database in
            var unnamed = database
            unnamed.cachesPreparedStatements = false
            for (configuration, kept) in [(database, 1), (unnamed, 0)] {
                try await PGConnection.withConnection(configuration: configuration) { connection in
                    for value in 1...3 {
                        #expect(try await connection.query("SELECT \(value) * 2").first?.decode(Int.self, at: 0) == value * 2)
                    }
                    let prepared = try await connection.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int.self, at: 0)
                    #expect(prepared == kept, "caching: \(configuration.cachesPreparedStatements)")
                }
            }
        }
    }

    @Test func constraintViolationsCarrySQLStateAndConstraint() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.unsafeExecuteScript(Self.schema)
            try await connection.execute("INSERT INTO store_depot VALUES (1, 'north', 10)")

            let unique = try await #require(throws: PGError.self) {
                try await connection.execute("INSERT INTO store_depot VALUES (2, 'north', 5)")
            }
            #expect(unique.isUniqueViolation && unique.sqlState == .uniqueViolation)
            #expect(unique.constraint == "store_depot_code_key")
            #expect(unique.table == "store_depot")

            let foreignKey = try await #require(throws: PGError.self) {
                try await connection.execute("INSERT INTO store_van VALUES (1, \(99))")
            }
            #expect(foreignKey.isForeignKeyViolation && foreignKey.constraint == "store_van_depot_id_fkey")

            let check = try await #require(throws: PGError.self) {
                try await connection.execute("INSERT INTO store_depot VALUES (3, 'south', \(0))")
            }
            #expect(check.isCheckViolation && check.constraint == "store_depot_capacity_check")

            let start = Date(timeIntervalSince1970: 1_800_000_000)
            try await connection.execute(
                "INSERT INTO booking VALUES (7, \(start), \(start.addingTimeInterval(3600)))"
            )
            let overlap = try await #require(throws: PGError.self) {
                try await connection.execute(
                    "INSERT INTO booking VALUES (7, \(start.addingTimeInterval(1800)), \(start.addingTimeInterval(5400)))"
                )
            }
            #expect(overlap.isExclusionViolation && overlap.constraint == "booking_no_overlap")
            // Back to back is not an overlap: the ranges are half-open.
            try await connection.execute(
                "INSERT INTO booking VALUES (7, \(start.addingTimeInterval(3600)), \(start.addingTimeInterval(7200)))"
            )
        }
    }

    @Test func descriptionIsGenericButDebugDescriptionIsFull() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.unsafeExecuteScript(Self.schema)
            try await connection.execute("INSERT INTO store_depot VALUES (1, 'secret-code', 10)")
            let error = try await #require(throws: PGError.self) {
                try await connection.execute("INSERT INTO store_depot VALUES (2, 'secret-code', 5)")
            }
            #expect(!error.description.contains("secret-code"))
            #expect(error.description.contains("23505"))
            #expect(error.debugDescription.contains("secret-code"))  // the DETAIL names the key
        }
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.unsafeExecuteScript(Self.schema)
            try await connection.withTransaction { transaction in
                try await transaction.execute("INSERT INTO store_depot VALUES (1, 'kept', 1)")
            }
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await connection.withTransaction(isolation: .serializable) { transaction in
                    try await transaction.execute("INSERT INTO store_depot VALUES (2, 'discarded', 1)")
                    throw Abort()
                }
            }
            let codes = try await connection.query("SELECT code FROM store_depot ORDER BY id").map { try $0.decode(String.self, at: 0) }
            #expect(codes == ["kept"])
            #expect(connection.isReusable)
        }
    }

    @Test func retryHelperRetriesSerializationFailuresAndGivesUpAfterItsBound() async throws {
        try await TestDatabase.withDatabase { database in
            let pool = PGPool(configuration: database, options: .init(maxConnections: 2), logger: TestDatabase.silentLogger)
            let attempts = Mutex(0)
            let raiseSerializationFailure: PGQuery = """
                DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$
                """
            let value = try await pool.withTransaction(isolation: .serializable, maxAttempts: 4) { connection in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                if attempt < 3 { try await connection.execute(raiseSerializationFailure) }
                return attempt
            }
            #expect(value == 3)

            attempts.withLock { $0 = 0 }
            let error = try await #require(throws: PGError.self) {
                try await pool.withTransaction(maxAttempts: 3) { connection in
                    attempts.withLock { $0 += 1 }
                    try await connection.execute(raiseSerializationFailure)
                }
            }
            #expect(error.isSerializationFailure)
            #expect(attempts.withLock { $0 } == 3)

            attempts.withLock { $0 = 0 }
            await #expect(throws: PGError.self) {
                try await pool.withTransaction(maxAttempts: 3) { connection in
                    attempts.withLock { $0 += 1 }
                    try await connection.execute("SELECT 1/0")
                }
            }
            #expect(attempts.withLock { $0 } == 1, "other errors are not retried")
            await pool.shutdown()
        }
    }

    @Test func realSerializationConflictIsRetriedToSuccess() async throws {
        try await TestDatabase.withDatabase { database in
            // A connection for every writer, and a long lease timeout: the conflicts under test are the database's, and
            // under the whole suite on two cores a writer waiting for a connection was once given up on after 2 s.
            let pool = PGPool(
                configuration: database, options: .init(maxConnections: 8, leaseTimeout: .seconds(60)),
                logger: TestDatabase.silentLogger
            )
            try await pool.query("CREATE TABLE counter (id int PRIMARY KEY, value int NOT NULL)")
            try await pool.query("INSERT INTO counter VALUES (1, 0)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await pool.withTransaction(isolation: .serializable, maxAttempts: 50) { connection in
                            let value = try await connection.query("SELECT value FROM counter WHERE id = 1")[0].decode(Int.self, at: 0)
                            try await connection.execute("UPDATE counter SET value = \(value + 1) WHERE id = 1")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let value = try await pool.query("SELECT value FROM counter")[0].decode(Int.self, at: 0)
            #expect(value == 8, "no lost update under SERIALIZABLE with retries")
            await pool.shutdown()
        }
    }

    @Test func cancellingTheTaskCancelsTheStatement() async throws {
        try await TestDatabase.withDatabase(migrated: false) { database in
            let pool = PGPool(configuration: database, options: .init(maxConnections: 1), logger: TestDatabase.silentLogger)
            let backend = try await pool.withConnection { $0.backendPID }
            let clock = ContinuousClock()
            let task = Task { try await pool.query("SELECT pg_sleep(30) AS long_sleep") }
            // Cancel once the statement is running on the server, not before it was sent.
            try await PGConnection.withConnection(configuration: database) { observer in
                for _ in 0..<200 {
                    let running = try await observer.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%AS long_sleep' AND state = 'active'"
                    )[0].decode(Int.self, at: 0)
                    if running > 0 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            // Counted from the cancel: the wait above can take seconds when the whole suite runs at once, and the sleep
            // has at least 20 s left after it.
            let cancelled = clock.now
            task.cancel()
            let result = await task.result
            let error = try #require(throws: PGError.self) { try result.get() }
            #expect(error.isQueryCanceled)
            #expect(clock.now - cancelled < .seconds(10))
            // A late cancel would hit the next statement on that backend: the pool answers on a new connection.
            #expect(try await pool.query("SELECT 1")[0].decode(Int.self, at: 0) == 1, "the pool answers again")
            #expect(try await pool.withConnection { $0.backendPID } != backend, "the cancelled connection is not reused")
            await pool.shutdown()
        }
    }

    @Test func badConnectionSettingsFailWithClearErrors() async throws {
        for url in ["postgresql://user:p@ss@[::1/db", "postgresql://user:p@ss@host:99999/db", "not a url", "host=x port=abc"] {
            let malformed = try #require(throws: PGError.self, "\(url)") { try PGConnectionConfiguration(url: url) }
            #expect(malformed.kind == .invalidConfiguration)
            #expect(!malformed.message.contains("p@ss"))
            #expect(!malformed.message.contains(url), "libpq's message quotes the URL; ours does not")
        }

        let clock = ContinuousClock()
        let started = clock.now
        let unreachable = try PGConnectionConfiguration(url: "postgresql://nobody@127.0.0.1:1/none")
        let refused = try await #require(throws: PGError.self) {
            try await PGConnection.withConnection(configuration: unreachable) { _ in }
        }
        #expect(refused.kind == .connectionFailed && refused.isConnectionLost)
        #expect(clock.now - started < .seconds(15), "a refused connection fails at once, never hangs")

        let server = try TestDatabase.server()
        var wrongPassword = server
        wrongPassword = PGConnectionConfiguration(
            host: server.setting("host")!, port: Int(server.setting("port")!)!, user: server.setting("user")!,
            password: "definitely-wrong", database: "postgres"
        )
        let denied = try await #require(throws: PGError.self) {
            try await PGConnection.withConnection(configuration: wrongPassword) { _ in }
        }
        #expect(denied.kind == .connectionFailed)
        #expect(denied.message.contains("password"))
        #expect(!denied.message.contains("definitely-wrong"))
    }
}
