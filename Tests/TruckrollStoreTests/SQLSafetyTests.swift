import Foundation
import Testing

/// SQL reaches PostgreSQL only as `PGQuery` literals with bound values: a lint over the sources, so that a
/// string-built statement fails the build's tests instead of a review.
@Suite struct SQLSafetyTests {
    static let sources: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Sources")
    }()

    /// Every Swift source file with its path relative to `Sources/`.
    static func swiftFiles() throws -> [(path: String, text: String)] {
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        return try enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.map { url in
            (String(url.path.dropFirst(sources.path.count + 1)), try String(contentsOf: url, encoding: .utf8))
        }
    }

    @Test func onlyTheWrapperCallsLibpqAndOnlyMigrationsRunScripts() throws {
        let files = try Self.swiftFiles()
        #expect(files.count > 50)
        for (path, text) in files {
            if !path.hasPrefix("LibPQ/") {
                for call in ["PQexec(", "PQexecParams(", "PQprepare(", "PQsendQuery"] {
                    #expect(!text.contains(call), "\(path) calls libpq (\(call)) outside the wrapper")
                }
                #expect(!text.contains("unsafeExecuteScript(") || path == "TruckrollStore/Migrations.swift",
                        "\(path) runs raw SQL; only migration files may")
            }
        }
    }

    @Test func queriesAreNeverBuiltFromStrings() throws {
        // A PGQuery made from a non-literal string would put values into SQL text.
        let fromString = try Regex(#"PGQuery\(stringLiteral:\s*[^"\s]"#)
        let fromInterpolatedString = try Regex(#"PGQuery\(stringLiteral:\s*"[^"]*\\\("#)
        for (path, text) in try Self.swiftFiles() where !path.hasPrefix("LibPQ/") {
            #expect(text.firstMatch(of: fromString) == nil, "\(path) builds a PGQuery from a string")
            #expect(text.firstMatch(of: fromInterpolatedString) == nil, "\(path) builds a PGQuery from an interpolated string")
        }
    }
}
