import Foundation
import LibPQ
import Testing
import TruckrollTestSupport

/// `COPY FROM STDIN` loads exactly the rows given, with every awkward character intact.
@Suite struct CopyTests {
    @Test func copyInLoadsRowsWithEscapesNullsAndBytes() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.execute("CREATE TABLE sample_part (id bigint, name text, note text, blob bytea, tags text[])")
            let rows: [[any PGEncodable]] = (0..<5_000).map { index in
                [index, "part\t\(index)\nline\\two", index % 2 == 0 ? "even" : String?.none as String?,
                 Data([UInt8(index % 256), 0, 255]), ["a,b", "c\"d"]]
            }
            let loaded = try await connection.copyIn(table: "sample_part", columns: ["id", "name", "note", "blob", "tags"], rows: rows)
            #expect(loaded == 5_000)
            let row = try #require(try await connection.query("SELECT * FROM sample_part WHERE id = 7").first)
            #expect(try row.decode(String.self, column: "name") == "part\t7\nline\\two")
            #expect(try row.decode(String?.self, column: "note") == nil)
            #expect(try row.decode(Data.self, column: "blob") == Data([7, 0, 255]))
            #expect(try row.decode([String].self, column: "tags") == ["a,b", "c\"d"])
            let out = try await connection.copyOut("COPY (SELECT id FROM sample_part WHERE id < 3 ORDER BY id) TO STDOUT")
            #expect(String(decoding: out, as: UTF8.self) == "0\n1\n2\n")
        }
    }

    @Test func aFailedCopyLoadsNothingAndLeavesTheConnectionUsable() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.execute("CREATE TABLE reading (id bigint PRIMARY KEY, pages bigint NOT NULL)")
            let rows: [[any PGEncodable]] = [[1, 100], [2, 200], [1, 300]]
            let error = try await #require(throws: PGError.self) {
                try await connection.copyIn(table: "reading", columns: ["id", "pages"], rows: rows)
            }
            #expect(error.isUniqueViolation)
            let wrongWidth: [[any PGEncodable]] = [[1]]
            await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "reading", columns: ["id", "pages"], rows: wrongWidth)
            }
            #expect(try await connection.query("SELECT count(*) FROM reading")[0].decode(Int.self, at: 0) == 0)
        }
    }
}
