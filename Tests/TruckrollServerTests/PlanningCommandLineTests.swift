import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// `truckroll plan`, `plan show|apply|what-if|list` and `board` through the real executable, a live server and a
/// planning worker running beside it.
@Suite struct PlanningCommandLineTests {
    private func truckroll(_ arguments: [String], server: URL, token: String?) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        environment["XDG_CONFIG_HOME"] = "/nonexistent"
        environment["TRUCKROLL_SERVER"] = server.absoluteString
        environment["TRUCKROLL_TOKEN"] = token
        return try await ChildProcess.run(CommandLineTests.executable, arguments, environment: environment)
    }

    @Test func aDispatcherPlansReviewsAppliesAndSeesTheBoard() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await PlanningFixture.make(pool: pool, requests: 4)
                let worker = Task { try await PlanningFixture.worker(pool).run() }
                defer { worker.cancel() }
                let dispatcher = fixture.tokens["dispatcher"]

                let planned = try await truckroll(["plan", "--horizon", "1d", "--time-limit", "0.5"], server: base, token: dispatcher)
                #expect(planned.status == 0, "\(planned.output)")
                #expect(planned.output.contains("downtime cost") && planned.output.contains("NAIVE DISPATCH") && planned.output.contains("below the naive"),
                        "\(planned.output)")
                let id = try #require(planned.output.split(separator: " ").dropFirst().first.map(String.init))
                let shown = try await truckroll(["plan", "show", id], server: base, token: dispatcher)
                #expect(shown.output.contains("T1 Technician 1") || shown.output.contains("T2 Technician 2"), "\(shown.output)")
                #expect(shown.output.contains("why:"), "\(shown.output)")

                let applied = try await truckroll(["plan", "apply", id], server: base, token: dispatcher)
                #expect(applied.status == 0 && applied.output.contains("4 visits booked"), "\(applied.output)")
                let again = try await truckroll(["plan", "apply", id], server: base, token: dispatcher)
                #expect(again.status != 0 && again.output.contains("409"), "\(again.output)")

                let board = try await truckroll(["board"], server: base, token: dispatcher)
                #expect(board.status == 0 && board.output.contains("T1") && board.output.contains("#"), "\(board.output)")
                let jobs = try await truckroll(["jobs"], server: base, token: fixture.tokens["tech1"])
                #expect(jobs.status == 0 && jobs.output.contains("planned"), "\(jobs.output)")

                let whatIf = try await truckroll(["plan", "what-if", "--unavailable", String(fixture["technician2"]), "--time-limit", "0.4"],
                                                 server: base, token: dispatcher)
                #expect(whatIf.status == 0 && whatIf.output.contains("WITHOUT THE CHANGES"), "\(whatIf.output)")
                let list = try await truckroll(["plan", "list"], server: base, token: dispatcher)
                #expect(list.output.contains("what_if") && list.output.contains("applied"), "\(list.output)")

                let badHorizon = try await truckroll(["plan", "--horizon", "soon"], server: base, token: dispatcher)
                #expect(badHorizon.status != 0 && badHorizon.output.contains("--horizon"), "\(badHorizon.output)")
                let technician = try await truckroll(["plan", "--time-limit", "0.5"], server: base, token: fixture.tokens["tech1"])
                #expect(technician.status != 0 && technician.output.contains("403"), "\(technician.output)")
            }
        }
    }
}
