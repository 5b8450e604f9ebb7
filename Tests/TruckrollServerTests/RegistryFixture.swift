import Foundation
import LibPQ
import TruckrollDomain
import TruckrollStore

/// A small registry with two of everything that has an owner, users of every role and their tokens.
///
/// "A" records belong to technician A and vendor A; "B" records to technician B and vendor B, so that every
/// ownership rule can be checked both ways.
struct RegistryFixture: Sendable {
    /// Ids by name (`customer`, `siteA`, `unitA`, `vendorA`, `technicianA`, `vehicleA`, `stockA`, …).
    var ids: [String: Int] = [:]
    /// Token secrets by user name (`admin`, `support`, `dispatcher`, `manager`, `techA`, `techB`, `vendorA`, `vendorB`).
    var tokens: [String: String] = [:]
    /// User ids by user name.
    var users: [String: Int] = [:]

    /// The dispatcher's password (the other users have tokens only).
    static let password = "correct horse battery staple"

    subscript(name: String) -> Int { ids[name] ?? -1 }

    /// Creates the records through the store, as the operator.
    static func make(pool: PGPool) async throws -> RegistryFixture {
        let store = RegistryStore(pool: pool)
        let access = AccessStore(pool: pool)
        var fixture = RegistryFixture()
        func create(_ name: String, _ resource: String, _ record: JSONObject) async throws {
            guard case .created(let stored) = try await store.create(resource, record: record, as: .operator) else { return }
            fixture.ids[name] = stored.id
        }
        func id(_ name: String) -> JSONValue { .number(Double(fixture.ids[name] ?? 0)) }

        try await create("customer", "customers", ["code": "ACME", "name": "Acme"])
        try await create("department", "departments", ["customer_id": id("customer"), "name": "Finance"])
        try await create("site", "sites", sampleSite(code: "ACME-HQ", customer: id("customer")))
        try await create("part", "parts", ["part_number": "FUSER-1", "description": "Fuser unit", "unit_cost": 120.5])
        try await create("model", "equipment-models", sampleModel(code: "C5550"))
        try await create("modelB", "equipment-models", sampleModel(code: "ST-900", category: "storage"))
        try await create("unitA", "units", ["serial_number": "SN-A", "equipment_model_id": id("model"), "site_id": id("site"),
                                            "department_id": id("department")])
        try await create("unitB", "units", ["serial_number": "SN-B", "equipment_model_id": id("modelB"), "site_id": id("site")])
        try await create("vendorA", "vendors", sampleVendor(code: "CANON"))
        try await create("vendorB", "vendors", sampleVendor(code: "NETAPP"))
        try await create("vendorContractA", "vendor-contracts", sampleVendorContract(vendor: id("vendorA"), models: [id("model")], units: []))
        try await create("vendorContractB", "vendor-contracts", sampleVendorContract(vendor: id("vendorB"), models: [], units: [id("unitB")]))
        try await create("contract", "contracts", sampleContract(customer: id("customer"), units: [id("unitA")]))
        try await create("technicianA", "technicians", sampleTechnician(code: "T-A"))
        try await create("technicianB", "technicians", sampleTechnician(code: "T-B"))
        try await create("depot", "depots", ["code": "D1", "name": "Main depot", "address": "2 Dock Rd", "latitude": 48.9,
                                             "longitude": 2.3, "time_zone": "Europe/Paris"])
        try await create("vehicleA", "vehicles", ["registration": "AB-123-CD", "technician_id": id("technicianA")])
        try await create("vehicleB", "vehicles", ["registration": "EF-456-GH", "technician_id": id("technicianB")])
        try await create("stockA", "stock", ["vehicle_id": id("vehicleA"), "part_id": id("part"), "quantity": 2])
        try await create("stockB", "stock", ["vehicle_id": id("vehicleB"), "part_id": id("part"), "quantity": 1])
        try await create("reading", "meter-readings", ["unit_id": id("unitA"), "read_at": "2026-11-01T09:00:00Z", "pages": 120_000,
                                                       "source": "device_agent"])

        let transitions = TransitionStore(pool: pool)
        for side in ["A", "B"] {
            try await create("request\(side)", "service-requests", ["unit_id": id("unit\(side)"), "channel": "phone", "call_type": "corrective",
                                                                 "symptom": .string("Fault on unit \(side)")])
            _ = try await transitions.transition("service-requests", id: fixture["request\(side)"], request: ["to": "dispatch_needed"],
                                                 expectedVersion: 1, as: .operator)
            try await create("visit\(side)", "visits", ["service_request_id": id("request\(side)"), "technician_id": id("technician\(side)"),
                                                      "planned_start": "2026-12-01T09:00:00Z", "planned_minutes": 60])
            try await create("rma\(side)", "rmas", ["vendor_id": id("vendor\(side)"), "unit_id": id("unit\(side)"), "kind": "field_replaceable",
                                                  "replacement_part_id": id("part")])
        }
        for side in ["A", "B"] {
            try await create("partRequest\(side)", "part-requests", ["part_id": id("part"), "quantity": 1, "from_depot_id": id("depot"),
                                                                   "to_vehicle_id": id("vehicle\(side)")])
        }
        let alert = try await FieldWorkStore(pool: pool).receiveAlert(
            ["source": "fleet-agent", "serial_number": "SN-A", "alert_code": "E100", "severity": "critical",
             "occurred_at": "2026-11-30T07:00:00Z"], as: .operator)
        fixture.ids["alert"] = alert.record.id

        let people: [(String, Role, JSONObject)] = [
            ("admin", .admin, [:]), ("support", .supportAgent, [:]), ("dispatcher", .dispatcher, [:]), ("manager", .manager, [:]),
            ("techA", .technician, ["technician_id": id("technicianA")]), ("techB", .technician, ["technician_id": id("technicianB")]),
            ("vendorA", .vendorCoordinator, ["vendor_id": id("vendorA")]), ("vendorB", .vendorCoordinator, ["vendor_id": id("vendorB")]),
        ]
        for (username, role, links) in people {
            var record: JSONObject = ["username": .string(username), "role": .string(role.rawValue)]
            // Only the dispatcher signs in with a password: each bcrypt hash costs about a second of CPU in a debug build.
            if username == "dispatcher" { record["password"] = .string(password) }
            record.merge(links) { $1 }
            let user = try await access.addUser(record)
            fixture.users[username] = user.id
            fixture.tokens[username] = try await access.createToken(forUsername: username, name: "tests", expiresAt: nil).1.value
        }
        return fixture
    }

    static func sampleSite(code: String, customer: JSONValue) -> JSONObject {
        ["code": .string(code), "customer_id": customer, "name": "Head office", "address": "1 Main St", "latitude": 48.8566,
         "longitude": 2.3522, "time_zone": "Europe/Paris", "access_hours": [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"]]]
    }

    static func sampleModel(code: String, category: String = "copier_mfp") -> JSONObject {
        ["code": .string(code), "manufacturer": category == "storage" ? "NetApp" : "Canon", "name": .string("Model \(code)"),
         "category": .string(category), "typical_repair_minutes": 75, "required_skills": [["skill": "copier", "level": 3]],
         "fault_codes": [["code": "E000", "description": "Fuser temperature too low"]]]
    }

    static func sampleVendor(code: String) -> JSONObject {
        ["code": .string(code), "name": .string("Vendor \(code)"), "time_zone": "Europe/Paris",
         "business_hours": [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"]]]
    }

    static func sampleVendorContract(vendor: JSONValue, models: [JSONValue], units: [JSONValue]) -> JSONObject {
        ["vendor_id": vendor, "reference": .string("VC-\(models.count)-\(units.count)"),
         "support_level": "onsite_4h", "response_business_hours": 4, "valid_from": "2026-01-01", "valid_to": "2030-12-31",
         "equipment_model_ids": .array(models), "unit_ids": .array(units)]
    }

    static func sampleContract(customer: JSONValue, units: [JSONValue]) -> JSONObject {
        ["reference": "SC-1", "customer_id": customer, "valid_from": "2026-01-01", "valid_to": "2030-12-31",
         "coverage": ["hours": [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"]], "holidays": ["2026-12-25"]],
         "targets": ["P1": ["response_minutes": 240, "restore_minutes": 480], "P3": ["response_minutes": 960, "restore_minutes": 2400]],
         "downtime_cost_per_hour": 180, "unit_ids": .array(units)]
    }

    static func sampleTechnician(code: String) -> JSONObject {
        ["code": .string(code), "name": .string("Tech \(code)"), "home_latitude": 48.8, "home_longitude": 2.4, "time_zone": "Europe/Paris",
         "skills": [["skill": "copier", "level": 4]],
         "calendar": ["weekly": [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"]],
                      "exceptions": [["date": "2026-12-24", "available": false, "reason": "leave"]]]]
    }
}
