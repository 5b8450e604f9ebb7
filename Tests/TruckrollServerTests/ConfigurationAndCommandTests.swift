import ArgumentParser
import Foundation
import Logging
import Synchronization
import Testing
import TruckrollCommands
import TruckrollPlanning
import TruckrollServer

/// Settings come from flags, then the environment, then defaults; bad values name their key.
@Suite struct ConfigurationAndCommandTests {
    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let defaults = try TruckrollConfiguration(environment: [:])
        #expect(defaults.httpHost == "127.0.0.1" && defaults.httpPort == 8080)
        #expect(defaults.databaseURL == nil && defaults.maxConnections == 10)
        #expect(defaults.leaseTimeout == .milliseconds(2000) && defaults.logLevel == .info)
        #expect(defaults.migrationsDirectory == "sql/migrations")

        let environment = [
            "TRUCKROLL_HTTP_PORT": "9000", "TRUCKROLL_DATABASE_URL": "postgresql://a@b/c",
            "TRUCKROLL_DATABASE_MAX_CONNECTIONS": "4", "TRUCKROLL_DATA_DIR": "/srv/pg", "TRUCKROLL_LOG_LEVEL": "debug",
        ]
        let fromEnvironment = try TruckrollConfiguration(environment: environment)
        #expect(fromEnvironment.httpPort == 9000 && fromEnvironment.maxConnections == 4)
        #expect(fromEnvironment.databaseURL == "postgresql://a@b/c" && fromEnvironment.dataDirectory == "/srv/pg")
        #expect(fromEnvironment.logLevel == .debug)

        let fromFlags = try TruckrollConfiguration(flags: ["http.port": "7000", "database.url": "postgresql://x@y/z"], environment: environment)
        #expect(fromFlags.httpPort == 7000 && fromFlags.databaseURL == "postgresql://x@y/z")
    }

    @Test func theTravelModelIsConfigured() throws {
        let travel = try TruckrollConfiguration(environment: ["TRUCKROLL_PLANNING_ROAD_FACTOR": "1.5", "TRUCKROLL_PLANNING_AVERAGE_SPEED_KMH": "30"]).travel
        #expect(travel.roadFactor == 1.5 && travel.averageSpeedKmh == 30)
        #expect(travel.description.contains("1.5") && travel.description.contains("30"))
    }

    @Test func invalidValuesNameTheirKey() {
        for (environment, key) in [
            (["TRUCKROLL_HTTP_PORT": "eighty"], "http.port"), (["TRUCKROLL_HTTP_PORT": "70000"], "http.port"),
            (["TRUCKROLL_DATABASE_MAX_CONNECTIONS": "0"], "database.maxConnections"),
            (["TRUCKROLL_LOG_LEVEL": "loud"], "log.level"), (["TRUCKROLL_LOG_FORMAT": "xml"], "log.format"),
            (["TRUCKROLL_PLANNING_WORKERS": "-1"], "planning.workers"), (["TRUCKROLL_PLANNING_ROAD_FACTOR": "0.5"], "planning.roadFactor"),
            (["TRUCKROLL_PLANNING_AVERAGE_SPEED_KMH": "fast"], "planning.averageSpeedKmh"),
            (["TRUCKROLL_REPORTS_REFRESH_SECONDS": "-5"], "reports.refreshSeconds"),
        ] {
            let error = #expect(throws: ConfigurationError.self) { try TruckrollConfiguration(environment: environment) }
            #expect(error?.description.contains(key) == true, "\(environment)")
        }
    }

    @Test func everyInvalidSettingIsReportedAtOnce() {
        let error = #expect(throws: ConfigurationError.self) {
            try TruckrollConfiguration(environment: [
                "TRUCKROLL_HTTP_PORT": "-1", "TRUCKROLL_DATABASE_LEASE_TIMEOUT_MS": "soon", "TRUCKROLL_LOG_LEVEL": "loud",
            ])
        }
        #expect(error?.problems.map(\.key) == ["http.port", "database.leaseTimeoutMs", "log.level"])
    }

    @Test func helpListsEveryCommand() {
        let help = Truckroll.helpMessage(columns: 100)
        for command in ["serve", "migrate", "optimize", "bench", "config"] { #expect(help.contains("  \(command) ")) }
        let serveHelp = Truckroll.helpMessage(for: Truckroll.self, columns: 100)
        #expect(serveHelp.contains("truckroll <subcommand>"))
    }

    @Test func commandsRejectBadArgumentsBeforeRunning() {
        #expect(throws: (any Error).self) { try Truckroll.parseAsRoot(["serve", "--port", "not-a-number"]) }
        #expect(throws: (any Error).self) { try Truckroll.parseAsRoot(["bench", "db", "--seconds", "0"]) }
        #expect(throws: (any Error).self) { try Truckroll.parseAsRoot(["no-such-command"]) }
    }

    @Test func jsonLogLinesCarryMessageLevelAndMetadata() throws {
        let lines = LockedLines()
        var logger = Logger(label: "truckroll", factory: { JSONLogHandler(label: $0, write: lines.append) })
        logger[metadataKey: "hb.request.id"] = "abc123"
        logger.warning("request failed", metadata: ["error.kind": "Service unavailable"])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && lines.all.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "warning" && object["message"] == "request failed" && object["label"] == "truckroll")
        #expect(object["hb.request.id"] == "abc123" && object["error.kind"] == "Service unavailable")
        #expect(object["timestamp"]?.hasPrefix("20") == true)
        #expect(try TruckrollConfiguration(environment: ["TRUCKROLL_LOG_FORMAT": "json"]).logFormat == .json)
    }
}

/// Lines written by a log handler, collected across threads.
final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
