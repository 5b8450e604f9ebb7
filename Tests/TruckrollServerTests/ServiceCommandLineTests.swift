import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollTestSupport

/// The people's commands for calls, jobs and RMAs, through the real executable and a live server.
@Suite struct ServiceCommandLineTests {
    /// Runs the built `truckroll` against `server` with `token`, no stored credentials and no database URL.
    static func truckroll(_ arguments: [String], server: URL? = nil, token: String? = nil) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        environment["XDG_CONFIG_HOME"] = "/nonexistent"
        environment["TRUCKROLL_SERVER"] = server?.absoluteString
        environment["TRUCKROLL_TOKEN"] = token
        return try await ChildProcess.run(CommandLineTests.executable, arguments, environment: environment)
    }

    @Test func helpDeskTechnicianAndVendorCoordinator() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let support = fixture.tokens["support"]
                let opened = try await Self.truckroll(["call", "open", "--unit", String(fixture["unitA"]), "--symptom", "E000 on display"],
                                                 server: base, token: support)
                #expect(opened.status == 0 && opened.output.contains("priority") && opened.output.contains("P3"), "\(opened.output)")
                let callID = try #require(opened.output.split(separator: "\n").first { $0.hasPrefix("id ") }?.split(separator: " ").last.map(String.init))
                let badMove = try await Self.truckroll(["call", "move", callID, "--to", "resolved"], server: base, token: support)
                #expect(badMove.status != 0 && badMove.output.contains("409") && badMove.output.contains("allowed"), "\(badMove.output)")
                let moved = try await Self.truckroll(["call", "move", callID, "--to", "triage"], server: base, token: support)
                #expect(moved.status == 0 && moved.output.contains("now triage"), "\(moved.output)")
                let queue = try await Self.truckroll(["queue"], server: base, token: fixture.tokens["dispatcher"])
                #expect(queue.output.contains("scheduled") && queue.output.contains("triage") && queue.output.contains("SLA"), "\(queue.output)")

                let techA = fixture.tokens["techA"]
                let jobs = try await Self.truckroll(["jobs"], server: base, token: techA)
                #expect(jobs.status == 0 && jobs.output.contains("1 Main St") && jobs.output.contains("SN-A"), "\(jobs.output)")
                let visit = String(fixture["visitA"])
                try await pool.query("UPDATE visit SET status = 'dispatched' WHERE id = \(fixture["visitA"])")
                #expect(try await Self.truckroll(["job", "start", visit], server: base, token: techA).status == 0)
                #expect(try await Self.truckroll(["job", "arrive", visit], server: base, token: techA).status == 0)
                let done = try await Self.truckroll(["job", "done", visit, "--notes", "Fuser replaced", "--part", "\(fixture["part"]):1", "--meter", "125000"],
                                               server: base, token: techA)
                #expect(done.status == 0 && done.output.contains("completed (fixed)"), "\(done.output)")
                let notMine = try await Self.truckroll(["job", "start", String(fixture["visitB"])], server: base, token: techA)
                #expect(notMine.status != 0 && notMine.output.contains("404"))

                let vendorA = fixture.tokens["vendorA"]
                let rma = String(fixture["rmaA"])
                #expect(try await Self.truckroll(["rma", "update", rma, "--to", "approved", "--rma-number", "RMA-1"], server: base, token: vendorA).status == 0)
                let shipped = try await Self.truckroll(["rma", "update", rma, "--to", "shipped", "--carrier", "DHL", "--tracking", "JD1",
                                                   "--eta", "2026-12-02T10:00:00Z"], server: base, token: vendorA)
                #expect(shipped.status == 0 && shipped.output.contains("shipped"), "\(shipped.output)")
                let slipped = try await Self.truckroll(["rma", "update", rma, "--eta", "2026-12-03T10:00:00Z"], server: base, token: vendorA)
                #expect(slipped.output.contains("2026-12-03T10:00:00"), "\(slipped.output)")
                let list = try await Self.truckroll(["rma", "list"], server: base, token: vendorA)
                #expect(list.output.contains("RMA-1") && list.output.split(separator: "\n").count == 2, "vendor A sees only its RMA: \(list.output)")
            }
        }
    }
}
