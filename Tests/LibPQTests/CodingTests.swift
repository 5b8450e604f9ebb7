import Foundation
import LibPQ
import Testing
import TruckrollTestSupport

/// Values survive a round trip through PostgreSQL, as bound parameters and as decoded columns.
@Suite struct CodingTests {
    enum Priority: String, PGCodable, CaseIterable { case p1, p2, p3, p4 }

    struct Payload: Codable, Sendable, Equatable {
        var name: String
        var weights: [Double]
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.execute("""
                CREATE TABLE sample (
                    i bigint, i32 integer, d double precision, b boolean, s text, u uuid, t timestamptz,
                    n numeric, sa text[], ia bigint[], j jsonb, bytes bytea, e text
                )
                """)
            let uuid = UUID()
            let date = Date(timeIntervalSince1970: 1_795_000_000.123456)
            let decimal = Decimal(string: "12345678901234567890.123456789")!
            let payload = Payload(name: "copier ✓", weights: [1.5, -2])
            let bytes = Data([0, 1, 2, 254, 255])
            let strings = ["plain", "with,comma", "with \"quote\"", "back\\slash", "NULL", "", "{braces}", "ünïcødé 🚐"]
            try await connection.execute("""
                INSERT INTO sample VALUES (\(Int.max), \(Int32.min), \(Double.pi), \(true), \("héllo\n\t'; --"), \(uuid),
                \(date), \(decimal), \(strings), \([Int.min, 0, 42]), \(try PGJSON(payload)), \(bytes), \(Priority.p3))
                """)
            let row = try #require(try await connection.query("SELECT * FROM sample").singleRow())
            #expect(try row.decode(Int.self, column: "i") == Int.max)
            #expect(try row.decode(Int32.self, column: "i32") == Int32.min)
            #expect(try row.decode(Double.self, column: "d") == Double.pi)
            #expect(try row.decode(Bool.self, column: "b") == true)
            #expect(try row.decode(String.self, column: "s") == "héllo\n\t'; --")
            #expect(try row.decode(UUID.self, column: "u") == uuid)
            #expect(try row.decode(Date.self, column: "t") == Date(timeIntervalSince1970: 1_795_000_000.123456))
            #expect(try row.decode(Decimal.self, column: "n") == decimal)
            #expect(try row.decode([String].self, column: "sa") == strings)
            #expect(try row.decode([Int].self, column: "ia") == [Int.min, 0, 42])
            #expect(try row.decode(PGJSON<Payload>.self, column: "j").value == payload)
            #expect(try row.decode(Data.self, column: "bytes") == bytes)
            #expect(try row.decode(Priority.self, column: "e") == .p3)
        }
    }

    @Test func nullsDecodeAsOptionalsAndFailForNonOptionals() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let missing: Int? = nil
            let row = try #require(try await connection.query("SELECT \(missing)::bigint AS count, \(Optional("x")) AS label").first)
            #expect(try row.decode(Int?.self, column: "count") == nil)
            #expect(try row.decode(String?.self, column: "label") == "x")
            let error = try #require(throws: PGError.self) { try row.decode(Int.self, column: "count") }
            #expect(error.kind == .decoding)
            #expect(error.column == "count")
            #expect(error.message.contains("Int"))
        }
    }

    @Test func decodingFailureNamesColumnAndType() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let row = try #require(try await connection.query("SELECT 'not a number' AS meter_reading").first)
            let error = try #require(throws: PGError.self) { try row.decode(Int.self, column: "meter_reading") }
            #expect(error.column == "meter_reading")
            #expect(error.message.contains("meter_reading") && error.message.contains("Int"))
            #expect(throws: PGError.self) { try row.decode(Priority.self, column: "meter_reading") }
        }
    }

    @Test func extremesAndLargeValuesRoundTrip() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let megabyte = String(repeating: "αβγ-truck ", count: 100_000)
            let doubles = [Double.greatestFiniteMagnitude, -Double.leastNonzeroMagnitude, .infinity, -.infinity, 0.1, -0.0]
            for value in doubles {
                let back = try await connection.query("SELECT \(value)::float8")[0].decode(Double.self, at: 0)
                #expect(back == value)
            }
            let nan = try await connection.query("SELECT \(Double.nan)::float8")[0].decode(Double.self, at: 0)
            #expect(nan.isNaN)
            let (text, low, high) = try await connection.query("SELECT \(megabyte), \(Int64.min), \(Int64.max)")[0]
                .decode((String, Int64, Int64).self)
            #expect(text == megabyte)
            #expect(low == Int64.min && high == Int64.max)
            for date in [Date(timeIntervalSince1970: -2_208_988_800.5), Date(timeIntervalSince1970: 253_402_300_799)] {
                #expect(try await connection.query("SELECT \(date)")[0].decode(Date.self, at: 0) == date)
            }
        }
    }

    @Test func decimalsKeepEveryDigit() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let texts = [
                "0", "-0.5", "0.07", "-0.005", "123.45", "-123.45", "10000000000", "1e-20", "18446744073709551615",
                "18446744073709551616", "12345678901234567890.123456789", "-99999999999999999999999999999999999999",
            ]
            for text in texts {
                let value = try #require(Decimal(string: text))
                let back = try await connection.query("SELECT \(value)::numeric")[0].decode(Decimal.self, at: 0)
                #expect(back == value, "\(text)")
                let asText = try await connection.query("SELECT (\(value)::numeric = \(text)::numeric)")[0]
                    .decode(Bool.self, at: 0)
                #expect(asText, "\(text) is sent exactly")
            }
        }
    }

    @Test func preparedStatementsSurviveSchemaChangesAndCacheEviction() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.execute("CREATE TABLE sample_unit (id bigint PRIMARY KEY, serial text)")
            try await connection.execute("INSERT INTO sample_unit VALUES (\(1), \("SN-1"))")
            let select: PGQuery = "SELECT * FROM sample_unit WHERE id = \(1)"
            #expect(try await connection.query(select).columns == ["id", "serial"])
            try await connection.execute("ALTER TABLE sample_unit ADD COLUMN status text DEFAULT 'in_service'")
            #expect(try await connection.query(select).columns == ["id", "serial", "status"], "re-prepared after the change")
            for index in 0..<300 {  // more distinct statements than the per-connection cache holds
                let value = try await connection.query("SELECT \(index)::bigint AS \(identifier: "n\(index)")")[0]
                    .decode(Int.self, at: 0)
                #expect(value == index)
            }
        }
    }

    @Test func injectionAttemptIsStoredAsData() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.execute("CREATE TABLE x (note text)")
            let hostile = "'); DROP TABLE x; --"
            try await connection.execute("INSERT INTO x (note) VALUES (\(hostile))")
            let notes = try await connection.query("SELECT note FROM x").map { try $0.decode(String.self, at: 0) }
            #expect(notes == [hostile])
        }
    }

    @Test func boundValuesNeverPrint() {
        let secret = "s3cret-token"
        let query: PGQuery = "SELECT * FROM principal WHERE token_hash = \(secret) AND active = \(true)"
        #expect(query.sql == "SELECT * FROM principal WHERE token_hash = $1 AND active = $2")
        #expect(!query.description.contains(secret))
        #expect(!String(reflecting: query).contains(secret))
        #expect(query.binds.count == 2)
    }

    @Test func nestedQueriesRenumberTheirParameters() {
        let filter: PGQuery = "site_id = \(7) AND status = \("down")"
        let query: PGQuery = "SELECT id FROM unit WHERE customer_id = \(3) AND \(filter) LIMIT \(10)"
        #expect(query.sql == "SELECT id FROM unit WHERE customer_id = $1 AND site_id = $2 AND status = $3 LIMIT $4")
        let joined = PGQuery.joined(["a = \(1)", "b = \(2)"], separator: " AND ")
        #expect(joined.sql == "a = $1 AND b = $2")
    }
}
