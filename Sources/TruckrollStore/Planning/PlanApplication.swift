import FoundationEssentials
import LibPQ
import TruckrollDomain
import TruckrollPlanning

/// Applying a solved plan: every booking and cancellation in one transaction, each checked against the version it
/// was computed from. Whatever a dispatcher changed since is reported and left as they set it.
extension PlanRunStore {
    /// One item of the plan that was not applied, and why.
    struct Skipped: Hashable {
        let requestID: Int
        let visitID: Int?
        let reason: String
    }

    /// Raised inside the transaction when bookings would overlap visits booked outside the plan (checked once, after
    /// every write, while the overlap constraint is deferred): the transaction is rolled back and run again without the
    /// bookings of those technicians, whose days stay as they were booked.
    private struct Overlaps: Error {
        let technicianIDs: Set<Int>
    }

    /// The technicians a booking touches: who gets the visit, and who had it.
    private static func technicians(of booking: PlanChanges.Booking, visits: [Int: (version: Int, status: String, technician: Int, locked: Bool)]) -> [Int] {
        [booking.technicianId] + (booking.visitId.flatMap { visits[$0]?.technician }.map { [$0] } ?? [])
    }

    /// The principal auto-applied repair runs act as.
    public static let planner = Principal(userID: 0, username: "planner", role: .dispatcher)

    /// Applies run `id`.
    /// - Returns: the apply report: counts of visits created, moved and cancelled, and the items skipped with why.
    public func apply(_ id: Int, as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.planners, to: "apply plans")
        var excluded: Set<Int> = []
        for _ in 0..<10 {
            do {
                return try await pool.withTransaction(maxAttempts: 3) { connection in
                    try await apply(id, excludingTechnicians: excluded, by: principal, on: connection)
                }
            } catch let overlaps as Overlaps {
                excluded.formUnion(overlaps.technicianIDs)
            }
        }
        throw RegistryError.conflict(FieldError(field: "id", message: "the plan clashes with too many bookings made since it was computed; plan again"))
    }

    private func apply(_ id: Int, excludingTechnicians excluded: Set<Int>, by principal: Principal, on connection: PGConnection) async throws -> String {
        guard let run = try await connection.query("SELECT kind, status, changes::text, applied_at FROM plan_run WHERE id = \(id) FOR UPDATE").first else {
            throw RegistryError.notFound(resource: "plans", id: id)
        }
        let (kind, status, changesText, appliedAt) = try run.decode((String, String, String?, Date?).self)
        guard kind != "what_if" else { throw RegistryError.conflict(FieldError(field: "id", message: "what-if runs compare figures and are never applied")) }
        guard status == "done", let changesText else {
            let detail = appliedAt.map { "it was applied at \(Timestamp.format($0))" } ?? "it is \(status)"
            throw RegistryError.conflict(FieldError(field: "id", message: "only a solved plan can be applied; \(detail)"))
        }
        let changes = try Self.decoder.decode(PlanChanges.self, from: Data(changesText.utf8))
        try await connection.execute("SET CONSTRAINTS visit_technician_id_excl DEFERRED")

        let requestIDs = Array(Set(changes.bookings.map(\.requestId) + changes.cancellations.map(\.requestId)))
        var requests: [Int: (version: Int, status: String)] = [:]
        for row in try await connection.query("SELECT id, version, status FROM service_request WHERE id = ANY(\(requestIDs)) ORDER BY id FOR UPDATE") {
            let (requestID, version, status) = try row.decode((Int, Int, String).self)
            requests[requestID] = (version, status)
        }
        let visitIDs = changes.bookings.compactMap(\.visitId) + changes.cancellations.map(\.visitId)
        var visits: [Int: (version: Int, status: String, technician: Int, locked: Bool)] = [:]
        for row in try await connection.query("SELECT id, version, status, technician_id, locked FROM visit WHERE id = ANY(\(visitIDs)) ORDER BY id FOR UPDATE") {
            let (visitID, version, status, technician, locked) = try row.decode((Int, Int, String, Int, Bool).self)
            visits[visitID] = (version, status, technician, locked)
        }
        // The schedules it books into and out of, after the rows, as a dispatcher's booking or move takes them.
        try await VisitBooking.lockSchedules(of: changes.bookings.map(\.technicianId) + visits.values.map(\.technician), on: connection)
        // A visit that cannot move into or out of a kept day stays where it was booked, which may clash with its
        // technician's new bookings: keep every technician linked to a kept one by a move as booked too.
        var excluded = excluded
        while true {
            let linked = changes.bookings.map { Self.technicians(of: $0, visits: visits) }
                .filter { $0.contains(where: excluded.contains) }.flatMap { $0 }
            if excluded.isSuperset(of: linked) { break }
            excluded.formUnion(linked)
        }
        var skipped: [Skipped] = []
        var created = 0, moved = 0, cancelled = 0
        /// Why a booked visit may not be touched, if so.
        func visitChange(_ visitID: Int, expected: Int?) -> String? {
            guard let visit = visits[visitID] else { return "visit \(visitID) no longer exists" }
            if visit.version != expected { return "visit \(visitID) was changed since the plan was computed" }
            if visit.locked { return "visit \(visitID) was locked since the plan was computed" }
            return ["planned", "dispatched"].contains(visit.status) ? nil : "visit \(visitID) is \(visit.status) now"
        }

        for cancellation in changes.cancellations {
            if let reason = visitChange(cancellation.visitId, expected: cancellation.visitVersion) {
                skipped.append(Skipped(requestID: cancellation.requestId, visitID: cancellation.visitId, reason: reason))
                continue
            }
            let from = visits[cancellation.visitId]!.status
            try await connection.execute("UPDATE visit SET status = 'cancelled' WHERE id = \(cancellation.visitId)")
            try await EventLog.append("visit", id: cancellation.visitId, kind: "transition", from: from, to: "cancelled",
                                      reason: "plan \(id) leaves it out", by: principal, on: connection)
            try await RequestEffects.move(cancellation.requestId, to: "dispatch_needed", onlyFrom: ["scheduled"], kind: "visit_cancelled",
                                          by: principal, on: connection)
            cancelled += 1
        }
        for booking in changes.bookings {
            if Self.technicians(of: booking, visits: visits).contains(where: excluded.contains) {
                skipped.append(Skipped(requestID: booking.requestId, visitID: booking.visitId,
                                       reason: "would overlap a visit booked since the plan was computed (technician \(booking.technicianId)'s day is kept as booked)"))
                continue
            }
            let parts = String(decoding: try Self.encoder.encode(booking.bringParts), as: UTF8.self)
            if let visitID = booking.visitId {
                if let reason = visitChange(visitID, expected: booking.visitVersion) {
                    skipped.append(Skipped(requestID: booking.requestId, visitID: visitID, reason: reason))
                    continue
                }
                let before = visits[visitID]!
                let reassigned = before.technician != booking.technicianId
                try await connection.execute("""
                    UPDATE visit SET technician_id = \(booking.technicianId), planned_start = \(booking.plannedStart),
                        planned_minutes = \(booking.plannedMinutes), bring_parts = \(parts)::jsonb,
                        status = CASE WHEN \(reassigned) AND status = 'dispatched' THEN 'planned' ELSE status END
                    WHERE id = \(visitID)
                    """)
                try await EventLog.append("visit", id: visitID, kind: "replanned", from: before.status,
                                          to: reassigned && before.status == "dispatched" ? "planned" : before.status, reason: "plan \(id)",
                                          data: ["technician_id": .number(Double(booking.technicianId)),
                                                 "planned_start": .string(Timestamp.format(booking.plannedStart))],
                                          by: principal, on: connection)
                moved += 1
            } else {
                guard let request = requests[booking.requestId], request.version == booking.requestVersion,
                      ["dispatch_needed", "on_hold"].contains(request.status) else {
                    skipped.append(Skipped(requestID: booking.requestId, visitID: nil, reason: "request \(booking.requestId) was changed since the plan was computed"))
                    continue
                }
                let visitID = try await connection.query("""
                    INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes, bring_parts)
                    VALUES (\(booking.requestId), \(booking.technicianId), \(booking.plannedStart), \(booking.plannedMinutes), \(parts)::jsonb)
                    RETURNING id
                    """)[0].decode(Int.self, at: 0)
                try await EventLog.append("visit", id: visitID, kind: "created", to: "planned", reason: "plan \(id)",
                                          data: ["technician_id": .number(Double(booking.technicianId)),
                                                 "planned_start": .string(Timestamp.format(booking.plannedStart))],
                                          by: principal, on: connection)
                try await RequestEffects.move(booking.requestId, to: "scheduled", onlyFrom: ["dispatch_needed", "on_hold"], kind: "visit_booked",
                                              by: principal, on: connection)
                created += 1
            }
        }
        let technicians = Array(Set(changes.bookings.map(\.technicianId)))
        let overlapping = try await connection.query("""
            SELECT DISTINCT a.technician_id FROM visit a JOIN visit b ON a.technician_id = b.technician_id AND a.id <> b.id
            WHERE a.technician_id = ANY(\(technicians)) AND a.status <> 'cancelled' AND b.status <> 'cancelled'
                AND tstzrange(a.planned_start, a.planned_end, '[)') && tstzrange(b.planned_start, b.planned_end, '[)')
            """).map { try $0.decode(Int.self, at: 0) }
        if !overlapping.isEmpty { throw Overlaps(technicianIDs: Set(overlapping)) }

        let report: JSONValue = [
            "created": .number(Double(created)), "moved": .number(Double(moved)), "cancelled": .number(Double(cancelled)),
            "skipped": .array(skipped.map { item in
                ["request_id": .number(Double(item.requestID)), "visit_id": item.visitID.map { .number(Double($0)) } ?? .null,
                 "reason": .string(item.reason)]
            }),
        ]
        let reportText = report.jsonText
        try await connection.execute("""
            UPDATE plan_run SET status = 'applied', applied_at = now(), applied_by_user_id = \(principal.userID == 0 ? nil : principal.userID),
                apply_report = \(reportText)::jsonb
            WHERE id = \(id)
            """)
        return reportText
    }
}
