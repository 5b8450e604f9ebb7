import FoundationEssentials
import LibPQ
import TruckrollDomain

/// What happens in the field: parts fitted from the van, and alerts from monitored devices.
public struct FieldWorkStore: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// Records a part fitted on a visit, taking it from the technician's van in the same transaction.
    /// The van's stock never goes below zero, whatever runs at the same time: the decrement is conditional.
    /// The visit's version moves on, so a blind retry with the same `If-Match` is refused instead of taking the
    /// part twice.
    /// - Parameters:
    ///   - expectedVersion: The visit's version from `If-Match`.
    ///   - request: `part_id` and `quantity` (default 1).
    /// - Returns: What was taken and the stock left in the van.
    /// - Throws: ``RegistryError``: `notFound` (not the caller's visit), `versionMismatch`, `invalid`,
    ///   `conflict` (visit not on site, no van, too few in the van).
    public func usePart(visitID: Int, request: JSONObject, expectedVersion: Int, as principal: Principal) async throws -> JSONObject {
        let table = RegistryStore.table("visits")
        let scope = try RegistryStore.scope(of: principal, on: table, rights: table.resource.transitionAccess,
                                            refusal: "may not record parts on visits")
        return try await pool.withTransaction(maxAttempts: RegistryStore.writeAttempts) { connection in
            let current = try await RegistryStore.lockForWrite(table, id: visitID, scope: scope, expectedVersion: expectedVersion, on: connection)
            var errors: [FieldError] = []
            for key in request.keys.sorted() where !["part_id", "quantity"].contains(key) {
                errors.append(FieldError(field: key, message: "is not a field of a part use"))
            }
            if let value = request["part_id"] { errors += FieldType.reference(to: "parts").problems(with: value, at: "part_id") } else {
                errors.append(FieldError(field: "part_id", message: "is required"))
            }
            if let value = request["quantity"] { errors += FieldType.integer(1...1000).problems(with: value, at: "quantity") }
            guard errors.isEmpty, let partID = request["part_id"]?.integerValue else { throw RegistryError.invalid(errors) }
            let quantity = request["quantity"]?.integerValue ?? 1
            let visit = try decodeObject(current.json)
            let status = visit["status"]?.stringValue ?? ""
            let technicianID = visit["technician_id"]?.integerValue ?? 0
            guard status == "on_site" || status == "completed" || status == "incomplete" else {
                throw RegistryError.conflict(FieldError(field: "visit", message: "parts are recorded on site or after the visit, not while it is \(status)"))
            }
            let vans = try await connection.query("SELECT id FROM vehicle WHERE technician_id = \(technicianID)")
            guard let vehicleID = try vans.first?.decode(Int.self, at: 0) else {
                throw RegistryError.conflict(FieldError(field: "visit", message: "the technician has no van to take parts from"))
            }
            let taken = try await connection.query("""
                UPDATE stock_item SET quantity = quantity - \(quantity)
                WHERE vehicle_id = \(vehicleID) AND part_id = \(partID) AND quantity >= \(quantity) RETURNING quantity
                """)
            guard let left = try taken.first?.decode(Int.self, at: 0) else {
                let onHand = try await connection.query("SELECT quantity FROM stock_item WHERE vehicle_id = \(vehicleID) AND part_id = \(partID)")
                let count = try onHand.first?.decode(Int.self, at: 0) ?? 0
                throw RegistryError.conflict(FieldError(field: "quantity", message: "the van holds \(count) of part \(partID), \(quantity) needed"))
            }
            try await connection.execute("UPDATE visit SET updated_at = now() WHERE id = \(visitID)")
            try await connection.execute("""
                INSERT INTO visit_part (visit_id, part_id, quantity, vehicle_id, unit_cost)
                SELECT \(visitID), id, \(quantity), \(vehicleID), unit_cost FROM part WHERE id = \(partID)
                """)
            try await EventLog.append("visit", id: visitID, kind: "part_used",
                                      data: ["part_id": .number(Double(partID)), "quantity": .number(Double(quantity)),
                                             "vehicle_id": .number(Double(vehicleID)), "left_in_van": .number(Double(left))],
                                      by: principal, on: connection)
            return ["visit_id": .number(Double(visitID)), "part_id": .number(Double(partID)), "quantity": .number(Double(quantity)),
                    "vehicle_id": .number(Double(vehicleID)), "left_in_van": .number(Double(left))]
        }
    }

    /// Moves parts between a depot and a van (or two vans, two depots) in one transaction: the source never goes
    /// below zero, the destination's stock row is created when it has none.
    /// - Parameter request: `part_id`, `quantity`, one of `from_vehicle_id`/`from_depot_id`, one of
    ///   `to_vehicle_id`/`to_depot_id`, optional `reason`.
    /// - Returns: The quantities left at the source and now at the destination.
    /// - Throws: ``RegistryError``: `forbidden` (a technician moving stock that is not to or from their van),
    ///   `invalid`, `conflict` (too few at the source).
    public func transferStock(_ request: JSONObject, as principal: Principal) async throws -> JSONObject {
        let fields = [
            Field("part_id", .reference(to: "parts"), required: true, "The part."),
            Field("quantity", .integer(1...100_000), required: true, "How many."),
            Field("from_vehicle_id", .reference(to: "vehicles"), "Source van."),
            Field("from_depot_id", .reference(to: "depots"), "Source depot."),
            Field("to_vehicle_id", .reference(to: "vehicles"), "Destination van."),
            Field("to_depot_id", .reference(to: "depots"), "Destination depot."),
            Field("reason", .text(maxLength: 500), "Why (pick-up for visit 42, restock, return)."),
        ]
        guard [.admin, .dispatcher, .technician].contains(principal.role) else {
            throw RegistryError.forbidden("role \(principal.role.rawValue) may not move stock")
        }
        var errors = Resource.validateAction(request, fields: fields)
        let from = (request["from_vehicle_id"]?.integerValue, request["from_depot_id"]?.integerValue)
        let to = (request["to_vehicle_id"]?.integerValue, request["to_depot_id"]?.integerValue)
        if (from.0 == nil) == (from.1 == nil) { errors.append(FieldError(field: "from_vehicle_id", message: "give exactly one of from_vehicle_id and from_depot_id")) }
        if (to.0 == nil) == (to.1 == nil) { errors.append(FieldError(field: "to_vehicle_id", message: "give exactly one of to_vehicle_id and to_depot_id")) }
        if errors.isEmpty, from.0 == to.0, from.1 == to.1 { errors.append(FieldError(field: "to_vehicle_id", message: "is where the parts already are")) }
        guard errors.isEmpty, let partID = request["part_id"]?.integerValue, let quantity = request["quantity"]?.integerValue else {
            throw RegistryError.invalid(errors)
        }
        if principal.role == .technician {
            let vans = try await pool.query("SELECT id FROM vehicle WHERE technician_id = \(principal.technicianID ?? 0)")
            let own = try vans.first?.decode(Int.self, at: 0)
            guard own != nil, from.0 == own || to.0 == own else {
                throw RegistryError.forbidden("technicians move parts only to or from their own van")
            }
        }
        return try await RegistryStore(pool: pool).translatingErrors(for: RegistryStore.table("stock")) {
            try await pool.withTransaction(maxAttempts: RegistryStore.writeAttempts) { connection in
                let (sourceID, left, destinationID, now) = try await StockMoves.move(
                    partID: partID, quantity: quantity, from: from, to: to, on: connection)
                let data: JSONObject = ["part_id": .number(Double(partID)), "quantity": .number(Double(quantity)),
                                        "from_stock_item_id": .number(Double(sourceID)), "to_stock_item_id": .number(Double(destinationID))]
                try await EventLog.append("stock_item", id: destinationID, kind: "transfer", reason: request["reason"]?.stringValue,
                                          data: data, by: principal, on: connection)
                return data.merging(["left_at_source": .number(Double(left)), "now_at_destination": .number(Double(now))]) { $1 }
            }
        }
    }

    /// A technician's visits still to do (planned, dispatched, en route or on site), in planned order, each with what
    /// they need to know before it: the unit's last three other calls (`unit_history`), and the parts its model
    /// commonly needs with how many are in their van (`parts_to_bring`).
    /// - Returns: The visits as a JSON array, built by PostgreSQL in one statement: this is the endpoint technicians
    ///   poll, so it costs one round trip and no decoding here.
    public func openVisits(technicianID: Int) async throws -> String {
        try await pool.query(Self.openVisitsQuery(technicianID: technicianID)).first?.decode(String.self, at: 0) ?? "[]"
    }

    /// The statement of ``openVisits(technicianID:)``; the load benchmark runs the same text with pgbench.
    public static func openVisitsQuery(technicianID: Int) -> PGQuery {
        """
        SELECT coalesce(jsonb_agg(to_jsonb(v) || jsonb_build_object(
                'unit_history', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('id', h.id, 'reported_at', h.reported_at, 'symptom', h.symptom,
                                                        'status', h.status, 'resolution_code', h.resolution_code)
                                     ORDER BY h.reported_at DESC)
                    FROM (SELECT r.id, r.reported_at, r.symptom, r.status, r.resolution_code FROM service_request r
                          WHERE r.unit_id = v.unit_id AND r.id <> v.service_request_id
                          ORDER BY r.reported_at DESC LIMIT 3) h), '[]'),
                'parts_to_bring', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('part_id', p.id, 'part_number', p.part_number, 'description', p.description,
                            'in_van', coalesce((SELECT sum(i.quantity) FROM stock_item i JOIN vehicle c ON c.id = i.vehicle_id
                                                WHERE c.technician_id = v.technician_id AND i.part_id = p.id), 0))
                                     ORDER BY p.part_number)
                    FROM unit u JOIN equipment_model_part l ON l.equipment_model_id = u.equipment_model_id
                        JOIN part p ON p.id = l.part_id
                    WHERE u.id = v.unit_id), '[]'))
            ORDER BY v.planned_start, v.id), '[]')::text
        FROM api_visits v
        WHERE v.technician_id = \(technicianID) AND v.status IN ('planned', 'dispatched', 'en_route', 'on_site')
        """
    }

    /// What receiving an alert did, and whether it was a repeated delivery.
    public struct AlertOutcome: Sendable {
        public let record: StoredRecord
        /// The same alert (source, serial, code, time) was received before; nothing new was done.
        public let isRepeat: Bool
    }

    /// Receives an alert from a monitoring tool: opens a call for the unit, joins the open call for the same unit
    /// and code, or closes the episode when the alert clears; an unknown serial number is kept for review; the
    /// same code does not open another call until it has cleared; a repeated delivery changes nothing.
    public func receiveAlert(_ alert: JSONObject, as principal: Principal) async throws -> AlertOutcome {
        let table = RegistryStore.table("device-alerts")
        _ = try RegistryStore.scope(of: principal, on: table, writing: true)
        let errors = table.resource.validateCreate(alert)
        guard errors.isEmpty, let source = alert["source"]?.stringValue, let serial = alert["serial_number"]?.stringValue,
              let code = alert["alert_code"]?.stringValue, let severity = alert["severity"]?.stringValue,
              let occurredAt = alert["occurred_at"]?.stringValue.flatMap(Timestamp.parse)
        else { throw RegistryError.invalid(errors) }
        // Two alerts for the same unit and code racing to open a call: the partial unique index lets one win; the
        // other retries and joins it.
        for attempt in 1...3 {
            do {
                return try await pool.withTransaction(maxAttempts: RegistryStore.writeAttempts) { connection in
                    let inserted = try await connection.query("""
                        INSERT INTO device_alert (source, serial_number, alert_code, severity, occurred_at, outcome)
                        VALUES (\(source), \(serial), \(code), \(severity), \(occurredAt), 'recorded')
                        ON CONFLICT ON CONSTRAINT device_alert_delivery_key DO NOTHING RETURNING id
                        """)
                    guard let alertID = try inserted.first?.decode(Int.self, at: 0) else {
                        let existing = try await connection.query("""
                            SELECT id FROM device_alert WHERE source = \(source) AND serial_number = \(serial)
                                AND alert_code = \(code) AND occurred_at = \(occurredAt)
                            """)
                        let id = try existing[0].decode(Int.self, at: 0)
                        guard let record = try await RegistryStore.read(table, id: id, scope: nil, on: connection) else {
                            throw RegistryError.notFound(resource: "device-alerts", id: id)
                        }
                        return AlertOutcome(record: record, isRepeat: true)
                    }
                    try await handle(alertID: alertID, serial: serial, code: code, severity: severity, occurredAt: occurredAt,
                                     by: principal, on: connection)
                    guard let record = try await RegistryStore.read(table, id: alertID, scope: nil, on: connection) else {
                        throw RegistryError.notFound(resource: "device-alerts", id: alertID)
                    }
                    return AlertOutcome(record: record, isRepeat: false)
                }
            } catch let error as PGError where error.isUniqueViolation && error.constraint == "service_request_open_alert_key" && attempt < 3 {
                continue
            }
        }
        throw RegistryError.conflict(FieldError(field: "serial_number", message: "could not settle the alert; retry"))
    }

    private func handle(
        alertID: Int, serial: String, code: String, severity: String, occurredAt: Date, by principal: Principal,
        on connection: PGConnection
    ) async throws {
        let units = try await connection.query("SELECT id FROM unit WHERE serial_number = \(serial) AND status <> 'retired'")
        guard units.count == 1, let unitID = try units.first?.decode(Int.self, at: 0) else {
            try await setOutcome(alertID, "unknown_unit", unitID: nil, requestID: nil, on: connection)
            return
        }
        let open = try await connection.query("""
            SELECT id FROM service_request WHERE unit_id = \(unitID) AND alert_code = \(code)
                AND status NOT IN ('resolved', 'resolved_remotely', 'closed')
            """)
        let openID = try open.first?.decode(Int.self, at: 0)
        if severity == "cleared" {
            try await setOutcome(alertID, "cleared", unitID: unitID, requestID: openID, on: connection)
            if let openID {
                try await EventLog.append("service_request", id: openID, kind: "alert_cleared", data: ["alert_code": .string(code)],
                                          by: principal, on: connection)
            }
            return
        }
        if let openID {
            try await setOutcome(alertID, "attached", unitID: unitID, requestID: openID, on: connection)
            return
        }
        guard severity != "info", try await !awaitingClear(unitID: unitID, code: code, before: alertID, on: connection) else {
            try await setOutcome(alertID, "recorded", unitID: unitID, requestID: nil, on: connection)
            return
        }
        var request: JSONObject = ["unit_id": .number(Double(unitID)), "channel": "device_alert", "call_type": "corrective",
                                   "symptom": .string("Device alert \(code) (\(severity))"), "reported_at": .string(Timestamp.format(occurredAt)),
                                   "unit_down": .bool(severity == "critical")]
        let requests = RegistryStore.table("service-requests")
        try await requests.hooks.prepare(&request, principal, connection)
        request["alert_code"] = .string(code)
        let requestID = try await RegistryStore.insert(request, into: requests, on: connection, extraColumns: ["alert_code"])
        try await requests.hooks.finish(requestID, request, principal, connection)
        try await setOutcome(alertID, "opened", unitID: unitID, requestID: requestID, on: connection)
    }

    /// Whether an earlier episode of this code on this unit ended with its call resolved but the alert never
    /// cleared: the device still reports the same fault, and a new call would duplicate the resolved one.
    private func awaitingClear(unitID: Int, code: String, before alertID: Int, on connection: PGConnection) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT outcome FROM device_alert WHERE unit_id = \(unitID) AND alert_code = \(code) AND id < \(alertID)
                AND outcome IN ('opened', 'cleared')
            ORDER BY id DESC LIMIT 1
            """)
        return try rows.first?.decode(String.self, at: 0) == "opened"
    }

    private func setOutcome(_ alertID: Int, _ outcome: String, unitID: Int?, requestID: Int?, on connection: PGConnection) async throws {
        try await connection.execute("""
            UPDATE device_alert SET outcome = \(outcome), unit_id = \(unitID), service_request_id = \(requestID) WHERE id = \(alertID)
            """)
    }
}

/// Moving stock from one place (van or depot) to another inside a caller's transaction.
enum StockMoves {
    /// Takes `quantity` from the source (never below zero) and adds it at the destination.
    /// - Returns: The source's stock row and what is left there, the destination's row and what is there now.
    /// - Throws: ``RegistryError/conflict(_:)`` when the source holds too few.
    @discardableResult
    static func move(
        partID: Int, quantity: Int, from: (vehicle: Int?, depot: Int?), to: (vehicle: Int?, depot: Int?), on connection: PGConnection
    ) async throws -> (sourceID: Int, left: Int, destinationID: Int, now: Int) {
        let taken = try await connection.query("""
            UPDATE stock_item SET quantity = quantity - \(quantity)
            WHERE vehicle_id IS NOT DISTINCT FROM \(from.vehicle) AND depot_id IS NOT DISTINCT FROM \(from.depot) AND part_id = \(partID)
                AND quantity >= \(quantity)
            RETURNING id, quantity
            """)
        guard let source = taken.first else {
            let held = try await connection.query("""
                SELECT quantity FROM stock_item
                WHERE vehicle_id IS NOT DISTINCT FROM \(from.vehicle) AND depot_id IS NOT DISTINCT FROM \(from.depot) AND part_id = \(partID)
                """)
            let count = try held.first?.decode(Int.self, at: 0) ?? 0
            throw RegistryError.conflict(FieldError(field: "quantity", message: "the source holds \(count) of part \(partID), \(quantity) asked"))
        }
        let (sourceID, left) = try source.decode((Int, Int).self)
        let added = try await connection.query("""
            INSERT INTO stock_item (vehicle_id, depot_id, part_id, quantity) VALUES (\(to.vehicle), \(to.depot), \(partID), \(quantity))
            ON CONFLICT ON CONSTRAINT stock_item_part_id_key DO UPDATE SET quantity = stock_item.quantity + EXCLUDED.quantity
            RETURNING id, quantity
            """)
        let (destinationID, now) = try added[0].decode((Int, Int).self)
        return (sourceID, left, destinationID, now)
    }
}
