import Foundation
import LibPQ
import Testing
import TruckrollDomain
import TruckrollStore
import TruckrollSample
import TruckrollTestSupport

@testable import TruckrollCommands

/// The short variant of `truckroll bench dispatchers`: dispatchers booking and moving the same visits at once through
/// the real API leave no double booking and no lost update, and get no answer but 2xx, 409 and 412; and the check
/// that says so does find an overlap or a write the log does not explain.
@Suite struct ConcurrencyTests {
    @Test func dispatchersBookingAndMovingTheSameVisitsLoseNothingAndNeverDoubleBook() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestDatabase.withPool(on: database, options: .init(maxConnections: 6, leaseTimeout: .seconds(10)), Self.exercise)
        }
    }

    static func exercise(_ pool: PGPool) async throws {
        try await HTTPBench.loadSample(.demo, into: pool)

        let report = try await DispatcherSimulation.run(
            pool: pool, dispatchers: 4, duration: .seconds(12), visits: 8, technicians: 4
        )
        #expect(report.check.overlaps.isEmpty, "\(report.check.overlaps.prefix(3))")
        #expect(report.check.lostUpdates.isEmpty, "\(report.check.lostUpdates.prefix(3))")
        #expect(report.unexpectedCount == 0, "\(report.unexpected.prefix(3))")
        // How far they get depends on the machine's load (the whole suite runs at once): with CI's load a run booked 3
        // calls in 8 s and moved nothing. Clashing moves are what `aWriteEndedByADeadlockIsRetried…` makes happen.
        #expect(report.check.bookings >= 2, "calls were booked")

        // The check is not blind: a change made behind the API's back (no event), and a double booking once
        // the constraint is gone, are both found.
        let technicians = try await pool.query("SELECT id FROM technician ORDER BY id LIMIT 4").map { try $0.decode(Int.self, at: 0) }
        let requests = try await pool.query(
            "SELECT DISTINCT service_request_id FROM visit WHERE technician_id = ANY(\(technicians)) AND planned_start > now() + interval '20 days'"
        ).map { try $0.decode(Int.self, at: 0) }
        let visits = try await pool.query(
            "SELECT id FROM visit WHERE service_request_id = ANY(\(requests)) ORDER BY technician_id, planned_start LIMIT 2"
        ).map { try $0.decode(Int.self, at: 0) }
        try #require(visits.count == 2)
        _ = try await pool.query("ALTER TABLE visit DROP CONSTRAINT visit_technician_id_excl")
        _ = try await pool.query("""
            UPDATE visit SET technician_id = o.technician_id, planned_start = o.planned_start, planned_minutes = o.planned_minutes
            FROM visit o WHERE visit.id = \(visits[1]) AND o.id = \(visits[0])
            """)
        let tampered = try await VisitLedgerCheck.check(requests: requests, technicians: technicians,
                                                        acknowledged: report.acknowledged, pool: pool)
        #expect(tampered.overlaps.count == 1)
        #expect(tampered.lostUpdates.contains { $0.contains("visit \(visits[1]) v") })
    }

    /// Regression: a PATCH whose exclusion check waits for another transaction that then waits for the PATCH's row
    /// lock was ended by PostgreSQL's deadlock detector and answered 500. The store now runs the write again, which
    /// finds the other transaction committed and answers with the conflict.
    @Test func aWriteEndedByADeadlockIsRetriedAndAnsweredWithAConflict() async throws {
        try await TestDatabase.withDatabase { database in
            let pool = PGPool(configuration: database, options: .init(maxConnections: 4, leaseTimeout: .seconds(10)),
                              logger: TestDatabase.silentLogger)
            do {
                try await HTTPBench.loadSample(.demo, into: pool)
                let token = try await AccessStore(pool: pool).createToken(forUsername: SampleBusiness.Users.dispatcher, name: "tests", expiresAt: nil).1.value
                let requests = try await pool.query(
                    "SELECT id FROM service_request WHERE status = 'dispatch_needed' ORDER BY id LIMIT 2"
                ).map { try $0.decode(Int.self, at: 0) }
                let technician = try await pool.query("SELECT min(id) FROM technician")[0].decode(Int.self, at: 0)
                let day = Calendar(identifier: .gregorian).startOfDay(for: Date().addingTimeInterval(40 * 86_400))
                let (ten, noon, two) = (day.addingTimeInterval(10 * 3_600), day.addingTimeInterval(12 * 3_600), day.addingTimeInterval(14 * 3_600))
                let (moved, other) = try await pool.query("""
                    WITH booked AS (
                        INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes)
                        VALUES (\(requests[0]), \(technician), \(ten), 60),
                               (\(requests[1]), \(technician), \(noon), 60)
                        RETURNING id, service_request_id)
                    SELECT (SELECT id FROM booked WHERE service_request_id = \(requests[0])),
                           (SELECT id FROM booked WHERE service_request_id = \(requests[1]))
                    """)[0].decode((Int, Int).self)
                try await TestServer.withServer(database: database) { base, _ in
                    let http = TestHTTP(base: base, token: token)
                    try await PGConnection.withConnection(configuration: database) { otherTransaction in
                        // The other transaction takes 14:00 for its visit, and keeps it uncommitted…
                        try await otherTransaction.execute("BEGIN")
                        try await otherTransaction.execute("UPDATE visit SET planned_start = \(two) WHERE id = \(other)")
                        // … while the API moves the first visit there too: its exclusion check waits for the other transaction …
                        let patch = Task {
                            try await http.send("PATCH", "/v1/visits/\(moved)", json: ["planned_start": Timestamp.format(two)], headers: ["If-Match": "\"v1\""])
                        }
                        try await Task.sleep(for: .milliseconds(500))
                        // … which then wants the row the API has locked: a deadlock, detected after deadlock_timeout (1 s).
                        do {
                            try await otherTransaction.execute("UPDATE visit SET work_notes = 'both' WHERE id = \(moved)")
                            try await otherTransaction.execute("COMMIT")
                        } catch {
                            try await otherTransaction.execute("ROLLBACK")
                        }
                        let reply = try await patch.value
                        #expect([200, 409, 412].contains(reply.status), "\(reply.status) \(reply.text)")
                    }
                }
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
        }
    }
}
