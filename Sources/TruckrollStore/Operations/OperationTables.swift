import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Tables of the operational resources, with what their creates derive and record.
let operationTables: [RegistryTable] = [
    RegistryTable("service-requests", table: "service_request", constraintFields: [
        "service_request_on_hold_check": "hold_code", "service_request_resolution_check": "resolution_code",
    ], hooks: ServiceRequestCreation.hooks, derivedColumns: ["customer_id", "contract_id", "callback_of_id"],
       ownedRows: { principal in
           principal.technicianID.map { "id IN (SELECT service_request_id FROM visit WHERE technician_id = \($0))" }
       },
       decorate: { rows, connection in try await ServiceClocks.decorate(rows, now: Date(), on: connection) }),
    RegistryTable("visits", table: "visit", constraintFields: ["visit_technician_id_excl": "technician_id"],
                  hooks: VisitBooking.hooks) { principal in
        principal.technicianID.map { "technician_id = \($0)" }
    },
    RegistryTable("rmas", table: "rma", hooks: CreateHooks(
        prepare: { record, _, connection in
            // An RMA is for a unit the vendor backs: name the contract, or take the one covering the unit now.
            guard let vendorID = record["vendor_id"]?.integerValue, let unitID = record["unit_id"]?.integerValue else { return }
            let contracts = try await connection.query("""
                SELECT c.id FROM vendor_contract c
                WHERE c.vendor_id = \(vendorID) AND current_date BETWEEN c.valid_from AND c.valid_to
                    AND (EXISTS (SELECT 1 FROM vendor_contract_unit l WHERE l.vendor_contract_id = c.id AND l.unit_id = \(unitID))
                         OR EXISTS (SELECT 1 FROM vendor_contract_equipment_model l JOIN unit u ON u.equipment_model_id = l.equipment_model_id
                                    WHERE l.vendor_contract_id = c.id AND u.id = \(unitID)))
                ORDER BY c.valid_to DESC
                """)
            let covering = try contracts.map { try $0.decode(Int.self, at: 0) }
            if let given = record["vendor_contract_id"]?.integerValue {
                guard covering.contains(given) else {
                    throw RegistryError.invalid([FieldError(field: "vendor_contract_id", message: "is not a valid contract of this vendor covering the unit")])
                }
            } else if let first = covering.first {
                record["vendor_contract_id"] = .number(Double(first))
            } else {
                throw RegistryError.invalid([FieldError(field: "unit_id", message: "is not under a valid support contract of vendor \(vendorID)")])
            }
        },
        finish: { id, _, principal, connection in
            try await EventLog.append("rma", id: id, kind: "created", to: "requested", by: principal, on: connection)
        },
        ownsNewRecord: { principal, record in principal.vendorID != nil && record["vendor_id"]?.integerValue == principal.vendorID }
    )) { principal in
        principal.vendorID.map { "vendor_id = \($0)" }
    },
    RegistryTable("part-requests", table: "part_request", hooks: CreateHooks(
        prepare: { record, principal, connection in
            guard principal.role == .technician else { return }
            let vans = try await connection.query("SELECT id FROM vehicle WHERE technician_id = \(principal.technicianID ?? 0)")
            guard let own = try vans.first?.decode(Int.self, at: 0), record["to_vehicle_id"]?.integerValue == own else {
                throw RegistryError.forbidden("technicians request parts for their own van")
            }
        },
        finish: { id, _, principal, connection in
            try await EventLog.append("part_request", id: id, kind: "created", to: "requested", by: principal, on: connection)
        },
        ownsNewRecord: { principal, _ in principal.role == .technician }
    ), ownedRows: { principal in
        principal.technicianID.map { "to_vehicle_id IN (SELECT id FROM vehicle WHERE technician_id = \($0))" }
    }),
    RegistryTable("device-alerts", table: "device_alert"),
]

/// A new call: its site, customer, department and contract from the unit, its priority, and whether it is a
/// callback of an earlier call on the same unit.
enum ServiceRequestCreation {
    static let hooks = CreateHooks(prepare: prepare, finish: { id, record, principal, connection in
        try await EventLog.append("service_request", id: id, kind: "created", to: "new",
                                  reason: record["priority_override_reason"]?.stringValue,
                                  data: ["priority": record["priority"] ?? .null], by: principal, on: connection)
    })

    static func prepare(_ record: inout JSONObject, _ principal: Principal, _ connection: PGConnection) async throws {
        let reportedAt = record["reported_at"]?.stringValue.flatMap(Timestamp.parse) ?? Date()
        // A few minutes of clock skew between the caller and us are fine; an outage cannot begin later than that.
        guard reportedAt <= Date().addingTimeInterval(300) else {
            throw RegistryError.invalid([FieldError(field: "reported_at", message: "must not be in the future")])
        }
        record["reported_at"] = .string(Timestamp.format(reportedAt))
        var criticality: String?
        var hasContract = false
        if let unitID = record["unit_id"]?.integerValue {
            let rows = try await connection.query("""
                SELECT u.site_id, s.customer_id, u.department_id, u.criticality, u.status, m.callback_days, m.callback_pages,
                    (SELECT c.id FROM service_contract c JOIN service_contract_unit l ON l.service_contract_id = c.id
                     WHERE l.unit_id = u.id AND \(reportedAt)::timestamptz::date BETWEEN c.valid_from AND c.valid_to
                     ORDER BY c.valid_from DESC LIMIT 1)
                FROM unit u JOIN site s ON s.id = u.site_id JOIN equipment_model m ON m.id = u.equipment_model_id
                WHERE u.id = \(unitID)
                """)
            guard let row = rows.first else {
                throw RegistryError.invalid([FieldError(field: "unit_id", message: "refers to a record that does not exist")])
            }
            let (siteID, customerID, departmentID, unitCriticality, unitStatus, callbackDays, callbackPages, contractID) =
                try row.decode((Int, Int, Int?, String, String, Int, Int?, Int?).self)
            if unitStatus == "retired" {
                throw RegistryError.invalid([FieldError(field: "unit_id", message: "the unit is retired")])
            }
            if let givenSite = record["site_id"]?.integerValue, givenSite != siteID {
                throw RegistryError.invalid([FieldError(field: "site_id", message: "the unit is at site \(siteID)")])
            }
            record["site_id"] = .number(Double(siteID))
            record["customer_id"] = .number(Double(customerID))
            if record["department_id"] == nil, let departmentID { record["department_id"] = .number(Double(departmentID)) }
            record["contract_id"] = contractID.map { .number(Double($0)) } ?? .null
            criticality = unitCriticality
            hasContract = contractID != nil
            if record["call_type"]?.stringValue == "corrective" {
                record["callback_of_id"] = try await previousCall(
                    unitID: unitID, before: reportedAt, withinDays: callbackDays, pageLimit: callbackPages, on: connection
                ).map { .number(Double($0)) } ?? .null
            }
        } else if let siteID = record["site_id"]?.integerValue {
            let rows = try await connection.query("SELECT customer_id FROM site WHERE id = \(siteID)")
            guard let customerID = try rows.first?.decode(Int.self, at: 0) else {
                throw RegistryError.invalid([FieldError(field: "site_id", message: "refers to a record that does not exist")])
            }
            record["customer_id"] = .number(Double(customerID))
        }
        if record["priority"] == nil || record["priority"] == .null {
            record["priority"] = .string(ServiceRequestRules.priority(
                criticality: criticality, unitDown: record["unit_down"] != .bool(false), hasContract: hasContract,
                callType: record["call_type"]?.stringValue ?? "corrective"
            ))
        }
    }

    /// The last corrective call on the unit that this one is a callback of: restored within `withinDays` days
    /// before `date`, and with no more than `pageLimit` pages printed since (when the model counts pages).
    static func previousCall(
        unitID: Int, before date: Date, withinDays days: Int, pageLimit: Int?, on connection: PGConnection
    ) async throws -> Int? {
        guard days > 0 else { return nil }
        let rows = try await connection.query("""
            SELECT r.id, r.restored_at FROM service_request r
            WHERE r.unit_id = \(unitID) AND r.call_type = 'corrective' AND r.restored_at IS NOT NULL
                AND r.restored_at <= \(date) AND r.restored_at > \(date) - make_interval(days => \(days)::int)
            ORDER BY r.restored_at DESC LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        let (id, restoredAt) = try row.decode((Int, Date).self)
        if let pageLimit {
            let pages = try await connection.query("""
                SELECT max(pages) - min(pages) FROM meter_reading
                WHERE unit_id = \(unitID) AND status = 'accepted' AND read_at BETWEEN \(restoredAt) AND \(date)
                """)
            if let printed = try pages.first?.decode(Int?.self, at: 0), printed > pageLimit { return nil }
        }
        return id
    }
}

/// Booking a visit: the call must still need work; a call waiting for dispatch becomes scheduled.
///
/// Bookings and moves take the schedule lock of every technician they touch, in id order, after the rows of the call
/// (booking) or the visit (move) and before writing; applying a plan takes them in the same order. Without it, two
/// dispatchers moving visits into each other's slots each wait on the other's uncommitted row in the exclusion
/// check, and PostgreSQL resolves that only after `deadlock_timeout` (1 s) by failing one; with sixteen dispatchers
/// on ten technicians such retries chained past the request deadline. With it they queue for milliseconds.
enum VisitBooking {
    /// First key of the transaction-scoped advisory locks on technicians' schedules ("trks").
    static let scheduleLockSpace: Int32 = 0x7472_6b73

    /// Takes the schedule locks of these technicians until the transaction ends, in id order so that two writers
    /// never hold one each while waiting for the other's.
    static func lockSchedules(of technicianIDs: [Int?], on connection: PGConnection) async throws {
        for id in Set(technicianIDs.compactMap { $0 }).sorted() {
            try await connection.execute("SELECT pg_advisory_xact_lock(\(scheduleLockSpace), \(Int32(truncatingIfNeeded: id)))")
        }
    }

    /// The fields that say where a visit is booked.
    static let placement = ["technician_id", "planned_start", "planned_minutes"]

    static let hooks = CreateHooks(
        prepare: { record, _, connection in
            guard let requestID = record["service_request_id"]?.integerValue else { return }
            let rows = try await connection.query("SELECT status FROM service_request WHERE id = \(requestID) FOR UPDATE")
            guard let status = try rows.first?.decode(String.self, at: 0) else {
                throw RegistryError.invalid([FieldError(field: "service_request_id", message: "refers to a record that does not exist")])
            }
            try await lockSchedules(of: [record["technician_id"]?.integerValue], on: connection)
            if let technicianID = record["technician_id"]?.integerValue,
               let start = record["planned_start"]?.stringValue.flatMap(Timestamp.parse), let minutes = record["planned_minutes"]?.integerValue {
                let end = start.addingTimeInterval(Double(minutes) * 60)
                let clashes = try await connection.query("""
                    SELECT id, planned_start, planned_end FROM visit
                    WHERE technician_id = \(technicianID) AND status <> 'cancelled'
                        AND tstzrange(planned_start, planned_end, '[)') && tstzrange(\(start), \(end), '[)')
                    ORDER BY planned_start LIMIT 1
                    """)
                if let clash = clashes.first {
                    let (visitID, from, to) = try clash.decode((Int, Date, Date).self)
                    throw RegistryError.conflict(FieldError(field: "technician_id", message:
                        "technician \(technicianID) is already booked on visit \(visitID) from \(Timestamp.format(from)) to \(Timestamp.format(to))"))
                }
            }
            guard ["dispatch_needed", "scheduled", "in_progress", "on_hold"].contains(status) else {
                throw RegistryError.conflict(FieldError(
                    field: "service_request_id",
                    message: "the call is \(status); book visits for calls that need dispatch (move it to dispatch_needed first)"
                ))
            }
        },
        finish: { id, record, principal, connection in
            try await EventLog.append("visit", id: id, kind: "created", to: "planned",
                                      data: ["technician_id": record["technician_id"] ?? .null, "planned_start": record["planned_start"] ?? .null,
                                             "planned_minutes": record["planned_minutes"] ?? .null, "version": 1],
                                      by: principal, on: connection)
            guard let requestID = record["service_request_id"]?.integerValue else { return }
            try await RequestEffects.move(requestID, to: "scheduled", onlyFrom: ["dispatch_needed", "on_hold"],
                                          kind: "visit_booked", by: principal, on: connection)
        },
        beforeUpdate: { current, merged, connection in
            guard placement.contains(where: { current[$0] != merged[$0] }) else { return }
            try await lockSchedules(of: [current["technician_id"]?.integerValue, merged["technician_id"]?.integerValue], on: connection)
        },
        updated: { before, after, principal, connection in
            // Every change makes a version, and every version is logged with where the visit is booked (moved to
            // another technician or time: rescheduled; notes or lock: edited), so that the event log alone tells
            // where every visit was booked after each acknowledged change.
            let old = try decodeObject(before.json), new = try decodeObject(after.json)
            var data = JSONObject()
            for field in placement { data[field] = new[field] ?? .null }
            data["version"] = .number(Double(after.version))
            let kind = placement.contains(where: { old[$0] != new[$0] }) ? "rescheduled" : "edited"
            try await EventLog.append("visit", id: after.id, kind: kind, from: new["status"]?.stringValue,
                                      to: new["status"]?.stringValue, data: data, by: principal, on: connection)
        }
    )
}

/// Meter readings that look wrong are held for review instead of being taken as the truth.
enum MeterReadingChecks {
    /// More pages a day than any office device prints.
    static let maximumPagesPerDay = 50_000

    static let hooks = CreateHooks(prepare: { record, _, connection in
        guard let unitID = record["unit_id"]?.integerValue, let pages = record["pages"]?.integerValue,
              let readAt = record["read_at"]?.stringValue.flatMap(Timestamp.parse)
        else { return }
        let rows = try await connection.query("""
            SELECT pages, read_at FROM meter_reading WHERE unit_id = \(unitID) AND status = 'accepted' AND read_at <= \(readAt)
            ORDER BY read_at DESC, id DESC LIMIT 1
            """)
        guard let row = rows.first else { return }
        let (lastPages, lastReadAt) = try row.decode((Int, Date).self)
        let days = max(readAt.timeIntervalSince(lastReadAt) / 86_400, 1.0 / 24)
        if pages < lastPages {
            record["status"] = "held"
            record["hold_reason"] = .string("lower than the reading of \(Timestamp.format(lastReadAt)) (\(lastPages) pages)")
        } else if Double(pages - lastPages) / days > Double(maximumPagesPerDay) {
            record["status"] = "held"
            record["hold_reason"] = .string("\(pages - lastPages) pages in \(Int(days.rounded(.up))) day(s) is implausible")
        }
    })
}
