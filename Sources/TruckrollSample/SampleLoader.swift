import Foundation
import LibPQ

/// Writes a generated sample with `COPY`, table by table in dependency order, ids included, in one transaction;
/// then moves each identity sequence past the ids used, so that the API's inserts continue from there.
struct SampleLoader {
    let rows: SampleRows

    /// Tables whose `id` the loader sets, in the order they are loaded.
    static let identityTables = [
        "customer", "department", "site", "part", "equipment_model", "unit", "meter_reading", "vendor", "vendor_contract",
        "service_contract", "technician", "depot", "vehicle", "stock_item", "app_user", "service_request", "visit", "visit_part", "rma",
    ]

    /// - Throws: ``SampleError/databaseNotEmpty(customers:)`` when the registry has customers.
    static func refuseUnlessEmpty(_ pool: PGPool) async throws {
        try await pool.withConnection { try await refuseUnlessEmpty(on: $0) }
    }

    static func refuseUnlessEmpty(on connection: PGConnection) async throws {
        let customers = try await connection.query("SELECT count(*) FROM customer")[0].decode(Int.self, at: 0)
        guard customers == 0 else { throw SampleError.databaseNotEmpty(customers: customers) }
    }

    func load(into pool: PGPool) async throws {
        try await pool.withConnection { connection in
            try await connection.withTransaction { connection in
                // Two loaders at once: the second waits here, then finds customers and stops.
                try await connection.execute("LOCK TABLE customer IN EXCLUSIVE MODE")
                try await Self.refuseUnlessEmpty(on: connection)
                try await copyRegistry(on: connection)
                try await copyOperations(on: connection)
                for table in Self.identityTables {
                    try await connection.execute("""
                        SELECT setval(pg_get_serial_sequence(\(table), 'id'), (SELECT coalesce(max(id), 0) + 1 FROM \(identifier: table)), false)
                        """)
                }
                try await connection.execute("ANALYZE")
            }
        }
    }

    private func copy<Row>(
        _ table: String, _ columns: [String], _ records: [Row], on connection: PGConnection,
        _ row: @escaping (Int, Row) -> [any PGEncodable]
    ) async throws {
        try await connection.copyIn(table: table, columns: columns, rows: records.enumerated().lazy.map { row($0.offset + 1, $0.element) })
    }

    private func copyRegistry(on connection: PGConnection) async throws {
        try await copy("customer", ["id", "code", "name", "contact"], rows.customers, on: connection) { id, customer in
            [id, customer.code, customer.name, customer.contact]
        }
        try await copy("department", ["id", "customer_id", "name", "cost_center"], rows.departments, on: connection) { id, department in
            [id, department.customerID, department.name, department.costCenter]
        }
        try await copy("site", ["id", "code", "customer_id", "name", "address", "latitude", "longitude", "time_zone", "access_hours", "contact"],
                       rows.sites, on: connection) { id, site in
            [id, site.code, site.customerID, site.name, site.address, site.latitude, site.longitude, SampleClock.timeZoneIdentifier,
             site.accessHours, site.contact]
        }
        try await copy("part", ["id", "part_number", "description", "unit_cost", "replaceable_by", "defective_return"],
                       rows.parts, on: connection) { id, part in
            [id, part.partNumber, part.description, part.unitCost, part.customerReplaceable ? "customer" : "technician", part.defectiveReturn]
        }
        try await copy("equipment_model", ["id", "code", "manufacturer", "name", "category", "required_skills", "typical_repair_minutes",
                                           "page_counting", "pm_interval_days", "callback_days", "fault_codes", "notes"],
                       SampleCatalogue.models, on: connection) { id, model in
            [id, model.code, model.manufacturer, model.name, model.category.name,
             SampleJSON.array([SampleJSON.object([("skill", .string(model.category.skill)), ("level", .int(model.skillLevel))])]),
             model.repairMinutes, model.category.pagesPerDay != nil, model.pmIntervalDays, model.callbackDays,
             SampleJSON.array(model.faultCodes.map { SampleJSON.object([("code", .string($0.code)), ("description", .string($0.description))]) }),
             "Problem codes: " + model.category.problems.map(\.code).joined(separator: ", ")]
        }
        let modelParts = rows.modelParts.enumerated().flatMap { model, parts in
            SampleCatalogue.models[model].category.parts.map { (model + 1, parts[$0.role]!) }
        }
        try await copy("equipment_model_part", ["equipment_model_id", "part_id"], modelParts, on: connection) { _, link in [link.0, link.1] }
        try await copy("part_equipment_model", ["part_id", "equipment_model_id"], modelParts, on: connection) { _, link in [link.1, link.0] }
        try await copy("unit", ["id", "serial_number", "equipment_model_id", "manufacturer", "site_id", "department_id", "install_date",
                                "criticality", "downtime_cost_per_hour"], rows.units, on: connection) { id, unit in
            [id, unit.serialNumber, unit.model + 1, SampleCatalogue.models[unit.model].manufacturer, unit.siteID, unit.departmentID,
             unit.installDate, unit.criticality, unit.downtimeCostPerHour]
        }
        try await copy("vendor", ["id", "code", "name", "time_zone", "business_hours", "contact"], rows.vendors, on: connection) { id, vendor in
            [id, vendor.code, vendor.name, SampleClock.timeZoneIdentifier, vendor.businessHours, vendor.contact]
        }
        try await copy("vendor_contract", ["id", "vendor_id", "reference", "support_level", "response_business_hours",
                                           "replacement_business_hours", "defective_return_business_days", "valid_from", "valid_to"],
                       rows.vendorContracts, on: connection) { id, contract in
            [id, contract.vendorID, contract.reference, contract.supportLevel, contract.responseHours, contract.replacementHours,
             contract.defectiveReturnDays, contract.validFrom, contract.validTo]
        }
        let vendorModels = rows.vendorContracts.enumerated().flatMap { index, contract in contract.modelIDs.map { (index + 1, $0) } }
        try await copy("vendor_contract_equipment_model", ["vendor_contract_id", "equipment_model_id"], vendorModels, on: connection) { _, link in
            [link.0, link.1]
        }
        try await copy("service_contract", ["id", "reference", "customer_id", "valid_from", "valid_to", "coverage", "targets",
                                            "downtime_cost_per_hour", "penalty_terms", "covers_parts"], rows.contracts, on: connection) { id, contract in
            [id, contract.reference, contract.customerID, contract.validFrom, contract.validTo, contract.coverage, contract.targets,
             contract.downtimeCostPerHour, contract.penaltyTerms, contract.coversParts]
        }
        let contractUnits = rows.contracts.enumerated().flatMap { index, contract in contract.unitIDs.map { (index + 1, $0) } }
        try await copy("service_contract_unit", ["service_contract_id", "unit_id"], contractUnits, on: connection) { _, link in [link.0, link.1] }
        try await copy("technician", ["id", "code", "name", "email", "phone", "home_latitude", "home_longitude", "time_zone", "skills",
                                      "calendar", "overtime_minutes_per_day"], rows.technicians, on: connection) { id, technician in
            [id, technician.code, technician.name, technician.email, technician.phone, technician.latitude, technician.longitude,
             SampleClock.timeZoneIdentifier, technician.skills, technician.calendar, technician.overtimeMinutes]
        }
        try await copy("depot", ["id", "code", "name", "address", "latitude", "longitude", "time_zone", "opening_hours"],
                       rows.depots, on: connection) { id, depot in
            [id, depot.code, depot.name, depot.address, depot.latitude, depot.longitude, SampleClock.timeZoneIdentifier, depot.openingHours]
        }
        try await copy("vehicle", ["id", "registration", "technician_id", "home_depot_id", "description"], rows.vehicles, on: connection) { id, van in
            [id, van.registration, van.technicianID, van.depotID, van.description]
        }
        try await copy("stock_item", ["id", "vehicle_id", "depot_id", "part_id", "quantity"], rows.stock, on: connection) { id, item in
            [id, item.vehicleID, item.depotID, item.partID, item.quantity]
        }
        try await copy("app_user", ["id", "username", "display_name", "role", "technician_id", "vendor_id"], rows.users, on: connection) { id, user in
            [id, user.username, user.displayName, user.role, user.technicianID, user.vendorID]
        }
    }

    private func copyOperations(on connection: PGConnection) async throws {
        try await copy("meter_reading", ["id", "unit_id", "read_at", "pages", "source", "created_at", "updated_at"],
                       rows.meterReadings, on: connection) { id, reading in
            [id, reading.unitID, reading.readAt, reading.pages, reading.source, reading.readAt, reading.readAt]
        }
        try await copy("service_request", [
            "id", "version", "created_at", "updated_at", "unit_id", "site_id", "customer_id", "department_id", "contract_id", "reported_at",
            "channel", "call_type", "symptom", "problem_code", "unit_down", "priority", "status", "hold_code", "callback_of_id",
            "resolution_code", "resolution_notes", "first_on_site_at", "restored_at", "closed_at", "caller",
        ], rows.requests, on: connection) { id, request in
            [id, request.version, request.createdAt, request.updatedAt, request.unitID, request.siteID, request.customerID,
             request.departmentID, request.contractID, request.reportedAt, request.channel, request.callType, request.symptom,
             request.problemCode, request.unitDown, request.priority, request.status, request.holdCode, request.callbackOfID,
             request.resolutionCode, request.resolutionNotes, request.firstOnSiteAt, request.restoredAt, request.closedAt, request.caller]
        }
        try await copy("visit", [
            "id", "version", "created_at", "updated_at", "service_request_id", "technician_id", "planned_start", "planned_minutes",
            "status", "dispatched_at", "en_route_at", "arrived_at", "departed_at", "outcome", "incomplete_code", "meter_pages", "work_notes",
        ], rows.visits, on: connection) { id, visit in
            [id, visit.version, visit.createdAt, visit.updatedAt, visit.serviceRequestID, visit.technicianID, visit.plannedStart,
             visit.plannedMinutes, visit.status, visit.dispatchedAt, visit.enRouteAt, visit.arrivedAt, visit.departedAt, visit.outcome,
             visit.incompleteCode, visit.meterPages, visit.workNotes]
        }
        try await copy("visit_part", ["id", "visit_id", "part_id", "quantity", "vehicle_id", "unit_cost", "used_at"],
                       rows.visitParts, on: connection) { id, used in
            [id, used.visitID, used.partID, used.quantity, used.vehicleID, used.unitCost, used.usedAt]
        }
        try await copy("rma", [
            "id", "version", "created_at", "updated_at", "vendor_id", "vendor_contract_id", "unit_id", "service_request_id",
            "vendor_case_number", "rma_number", "failed_part_id", "replacement_part_id", "kind", "status", "carrier", "tracking_number",
            "eta", "destination", "destination_depot_id", "destination_vehicle_id", "delivered_at", "defective_due_on", "defective_returned_at",
        ], rows.rmas, on: connection) { id, rma in
            [id, rma.version, rma.createdAt, rma.updatedAt, rma.vendorID, rma.vendorContractID, rma.unitID, rma.serviceRequestID,
             rma.vendorCaseNumber, rma.rmaNumber, rma.failedPartID, rma.replacementPartID, rma.kind, rma.status, rma.carrier,
             rma.trackingNumber, rma.eta, rma.destination, rma.destinationDepotID, rma.destinationVehicleID, rma.deliveredAt,
             rma.defectiveDueOn, rma.defectiveReturnedAt]
        }
        let users = rows.users
        try await copy("event", ["at", "actor_user_id", "actor", "entity", "entity_id", "kind", "from_status", "to_status", "reason", "data"],
                       rows.events, on: connection) { _, event in
            [event.at, event.actorUserID, users[event.actorUserID - 1].username, event.entity, event.entityID, event.kind, event.from,
             event.to, event.reason, event.data]
        }
    }
}
