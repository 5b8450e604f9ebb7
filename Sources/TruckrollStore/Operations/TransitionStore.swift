import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Moves calls, visits and RMAs through their life cycles: one transaction per move, locked and version-checked,
/// with the event log and the effects on related rows (a visit on site puts its call in progress; a fixed visit
/// resolves it; a visit short of a part puts it on hold for parts).
public struct TransitionStore: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// Applies a transition request (`{"to": "on_hold", "hold_code": …, "reason": …}`).
    /// - Throws: ``RegistryError`` (`forbidden`, `notFound`, `versionMismatch`, `illegalTransition`, `invalid`).
    public func transition(
        _ resource: String, id: Int, request: JSONObject, expectedVersion: Int, as principal: Principal
    ) async throws -> StoredRecord {
        let table = RegistryStore.table(resource)
        guard let lifecycle = table.resource.lifecycle else {
            throw RegistryError.notAllowed("\(resource) have no status transitions")
        }
        let scope = try RegistryStore.scope(of: principal, on: table, rights: table.resource.transitionAccess,
                                            refusal: "may not change the status of \(resource)")
        return try await RegistryStore(pool: pool).translatingErrors(for: table) {
            try await pool.withTransaction(maxAttempts: RegistryStore.writeAttempts) { connection in
                let current = try await RegistryStore.lockForWrite(table, id: id, scope: scope, expectedVersion: expectedVersion, on: connection)
                let row = try decodeObject(current.json)
                let from = row["status"]?.stringValue ?? ""
                let target: String
                switch lifecycle.check(from: from, request: request) {
                case .success(let to): target = to
                case .failure(.illegal(let from, let to, let allowed)): throw RegistryError.illegalTransition(from: from, to: to, allowed: allowed)
                case .failure(.invalid(let errors)): throw RegistryError.invalid(errors)
                }
                let reason = request["reason"]?.stringValue
                switch resource {
                case "service-requests":
                    try await RequestEffects.apply(id, from: from, to: target, request: request, by: principal, on: connection)
                case "visits":
                    try await VisitEffects.apply(id, row: row, from: from, to: target, request: request, by: principal, on: connection)
                case "part-requests":
                    try await PartRequestEffects.apply(id, row: row, to: target, on: connection)
                default:
                    try await RMAEffects.apply(id, row: row, from: from, to: target, request: request, by: principal, on: connection)
                }
                try await EventLog.append(table.table, id: id, kind: "status_changed", from: from, to: target, reason: reason,
                                          data: request.filter { !["to", "reason"].contains($0.key) }, by: principal, on: connection)
                guard let updated = try await RegistryStore.read(table, id: id, scope: nil, on: connection) else {
                    throw RegistryError.notFound(resource: resource, id: id)
                }
                return updated
            }
        }
    }
}

/// Decodes a row's JSON text.
func decodeObject(_ json: String) throws -> JSONObject {
    guard case .object(let object) = try JSONValue(json: json) else {
        throw PGError(kind: .decoding, message: "a row is not a JSON object")
    }
    return object
}

/// What a call's status change writes besides the status.
enum RequestEffects {
    static func apply(
        _ id: Int, from: String, to target: String, request: JSONObject, by principal: Principal, on connection: PGConnection
    ) async throws {
        let holdCode = target == "on_hold" ? request["hold_code"]?.stringValue : nil
        let resolves = target == "resolved" || target == "resolved_remotely"
        let reopens = (from == "resolved" || from == "resolved_remotely") && !resolves && target != "closed"
        try await connection.execute("""
            UPDATE service_request SET status = \(target), hold_code = \(holdCode),
                resolution_code = CASE WHEN \(resolves) THEN \(request["resolution_code"]?.stringValue)
                                       WHEN \(reopens) THEN NULL ELSE resolution_code END,
                resolution_notes = CASE WHEN \(resolves) THEN \(request["resolution_notes"]?.stringValue)
                                        WHEN \(reopens) THEN NULL ELSE resolution_notes END,
                restored_at = CASE WHEN \(resolves) THEN coalesce(restored_at, now()) WHEN \(reopens) THEN NULL ELSE restored_at END,
                closed_at = CASE WHEN \(target == "closed") THEN now() ELSE closed_at END
            WHERE id = \(id)
            """)
    }

    /// Moves a call as a consequence of something else (a visit booked, arrived, finished), if it is in one of
    /// `onlyFrom`; records the move in the event log.
    static func move(
        _ id: Int, to target: String, onlyFrom: Set<String>, kind: String, holdCode: String? = nil,
        resolution: (code: String, notes: String)? = nil, by principal: Principal, on connection: PGConnection
    ) async throws {
        let rows = try await connection.query("SELECT status FROM service_request WHERE id = \(id) FOR UPDATE")
        guard let from = try rows.first?.decode(String.self, at: 0), onlyFrom.contains(from) else { return }
        var request: JSONObject = ["to": .string(target)]
        request["hold_code"] = holdCode.map(JSONValue.string)
        if let resolution {
            request["resolution_code"] = .string(resolution.code)
            request["resolution_notes"] = .string(resolution.notes)
        }
        try await apply(id, from: from, to: target, request: request, by: principal, on: connection)
        try await EventLog.append("service_request", id: id, kind: kind, from: from, to: target,
                                  data: holdCode.map { ["hold_code": .string($0)] }, by: principal, on: connection)
    }
}

/// What a visit's status change writes, and what it does to its call.
enum VisitEffects {
    static func apply(
        _ id: Int, row: JSONObject, from: String, to target: String, request: JSONObject, by principal: Principal,
        on connection: PGConnection
    ) async throws {
        let outcome: String? = switch target {
        case "completed": request["outcome"]?.stringValue
        case "incomplete": "incomplete"
        default: nil
        }
        let meterPages = request["meter_pages"]?.integerValue
        try await connection.execute("""
            UPDATE visit SET status = \(target),
                dispatched_at = CASE WHEN \(target == "dispatched") THEN now() ELSE dispatched_at END,
                en_route_at = CASE WHEN \(target == "en_route") THEN now() ELSE en_route_at END,
                arrived_at = CASE WHEN \(target == "on_site") THEN now() ELSE arrived_at END,
                departed_at = CASE WHEN \(outcome != nil) THEN now() ELSE departed_at END,
                outcome = coalesce(\(outcome), outcome),
                incomplete_code = coalesce(\(request["incomplete_code"]?.stringValue), incomplete_code),
                work_notes = coalesce(\(request["work_notes"]?.stringValue), work_notes),
                meter_pages = coalesce(\(meterPages), meter_pages)
            WHERE id = \(id)
            """)
        guard let requestID = row["service_request_id"]?.integerValue else { return }
        if let meterPages, let unitID = row["unit_id"]?.integerValue {
            var reading: JSONObject = ["unit_id": .number(Double(unitID)), "read_at": .string(Timestamp.format(Date())),
                                       "pages": .number(Double(meterPages)), "source": "technician"]
            try await MeterReadingChecks.hooks.prepare(&reading, principal, connection)
            _ = try await RegistryStore.insert(reading, into: RegistryStore.table("meter-readings"), on: connection)
        }
        let notes = request["work_notes"]?.stringValue ?? ""
        switch (target, request["incomplete_code"]?.stringValue) {
        case ("on_site", _):
            try await connection.execute("UPDATE service_request SET first_on_site_at = coalesce(first_on_site_at, now()) WHERE id = \(requestID)")
            try await RequestEffects.move(requestID, to: "in_progress", onlyFrom: ["scheduled", "dispatch_needed", "on_hold"],
                                          kind: "technician_on_site", by: principal, on: connection)
        case ("completed", _):
            let code = request["resolution_code"]?.stringValue ?? (outcome == "no_fault_found" ? "no_fault_found" : "fixed_on_site")
            try await RequestEffects.move(requestID, to: "resolved", onlyFrom: ["in_progress", "on_hold", "scheduled"],
                                          kind: "visit_completed", resolution: (code, notes), by: principal, on: connection)
        case ("incomplete", "needs_part"?):
            try await RequestEffects.move(requestID, to: "on_hold", onlyFrom: ["in_progress", "scheduled"], kind: "visit_incomplete",
                                          holdCode: "waiting_for_parts", by: principal, on: connection)
        case ("incomplete", "customer_unavailable"?):
            try await RequestEffects.move(requestID, to: "on_hold", onlyFrom: ["in_progress", "scheduled"], kind: "visit_incomplete",
                                          holdCode: "waiting_for_customer", by: principal, on: connection)
        case ("incomplete", _):
            try await RequestEffects.move(requestID, to: "dispatch_needed", onlyFrom: ["in_progress", "scheduled"],
                                          kind: "visit_incomplete", by: principal, on: connection)
        case ("cancelled", _):
            let others = try await connection.query("""
                SELECT count(*) FROM visit WHERE service_request_id = \(requestID) AND id <> \(id)
                    AND status IN ('planned', 'dispatched', 'en_route', 'on_site')
                """)
            if try others[0].decode(Int.self, at: 0) == 0 {
                try await RequestEffects.move(requestID, to: "dispatch_needed", onlyFrom: ["scheduled"], kind: "visit_cancelled",
                                              by: principal, on: connection)
            }
        default:
            break
        }
    }
}

/// What an RMA's status change writes.
enum RMAEffects {
    static func apply(
        _ id: Int, row: JSONObject, from: String, to target: String, request: JSONObject, by principal: Principal,
        on connection: PGConnection
    ) async throws {
        let destination = request["destination"]?.stringValue
        if target == "delivered" {
            if destination == "depot", request["destination_depot_id"] == nil {
                throw RegistryError.invalid([FieldError(field: "destination_depot_id", message: "is required for a delivery to a depot")])
            }
            if destination == "vehicle", request["destination_vehicle_id"] == nil {
                throw RegistryError.invalid([FieldError(field: "destination_vehicle_id", message: "is required for a delivery to a van")])
            }
        }
        try await connection.execute("""
            UPDATE rma SET status = \(target),
                rma_number = coalesce(\(request["rma_number"]?.stringValue), rma_number),
                carrier = coalesce(\(request["carrier"]?.stringValue), carrier),
                tracking_number = coalesce(\(request["tracking_number"]?.stringValue), tracking_number),
                eta = coalesce(\(request["eta"]?.stringValue.flatMap(Timestamp.parse)), eta),
                destination = coalesce(\(destination), destination),
                destination_depot_id = coalesce(\(request["destination_depot_id"]?.integerValue), destination_depot_id),
                destination_vehicle_id = coalesce(\(request["destination_vehicle_id"]?.integerValue), destination_vehicle_id),
                delivered_at = CASE WHEN \(target == "delivered") THEN now() ELSE delivered_at END,
                defective_returned_at = CASE WHEN \(target == "defective_returned") THEN now() ELSE defective_returned_at END,
                rejection_reason = coalesce(\(request["rejection_reason"]?.stringValue), rejection_reason)
            WHERE id = \(id)
            """)
    }
}

/// Fulfilling a parts request moves the stock from its source to the van, never below zero.
enum PartRequestEffects {
    static func apply(_ id: Int, row: JSONObject, to target: String, on connection: PGConnection) async throws {
        if target == "fulfilled", let partID = row["part_id"]?.integerValue, let quantity = row["quantity"]?.integerValue,
           let toVehicle = row["to_vehicle_id"]?.integerValue {
            try await StockMoves.move(partID: partID, quantity: quantity,
                                      from: (row["from_vehicle_id"]?.integerValue, row["from_depot_id"]?.integerValue),
                                      to: (toVehicle, nil), on: connection)
        }
        try await connection.execute("""
            UPDATE part_request SET status = \(target), fulfilled_at = CASE WHEN \(target == "fulfilled") THEN now() ELSE fulfilled_at END
            WHERE id = \(id)
            """)
    }
}
