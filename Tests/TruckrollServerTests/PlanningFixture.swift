import Foundation
import LibPQ
import Logging
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// A small service business that works around the clock (so tests plan the same way at any hour): six units at
/// sites around Lyon, two technicians on 24×7 calendars with vans, and open calls that need dispatch.
struct PlanningFixture {
    var ids: [String: Int] = [:]
    var tokens: [String: String] = [:]

    subscript(name: String) -> Int { ids[name] ?? 0 }

    static let allWeek: JSONValue = [["days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"]]

    static func make(pool: PGPool, requests: Int = 4) async throws -> PlanningFixture {
        let store = RegistryStore(pool: pool)
        var fixture = PlanningFixture()
        func create(_ name: String, _ resource: String, _ record: JSONObject) async throws {
            guard case .created(let stored) = try await store.create(resource, record: record, as: .operator) else { return }
            fixture.ids[name] = stored.id
        }
        func id(_ name: String) -> JSONValue { .number(Double(fixture.ids[name] ?? 0)) }
        _ = try await pool.query("UPDATE planning_policy SET replan_on_events = false")

        try await create("customer", "customers", ["code": "LYON-LAW", "name": "Lyon law firm"])
        try await create("part", "parts", ["part_number": "FUSER-9", "description": "Fuser unit", "unit_cost": 140])
        try await create("model", "equipment-models", [
            "code": "MFP-1", "manufacturer": "Canon", "name": "imageRUNNER", "category": "copier_mfp", "typical_repair_minutes": 60,
            "required_skills": [["skill": "copier", "level": 2]]])
        try await create("depot", "depots", ["code": "D-LYON", "name": "Lyon depot", "address": "Port Edouard Herriot", "latitude": 45.73,
                                             "longitude": 4.83, "time_zone": "Europe/Paris"])
        for index in 1...6 {
            try await create("site\(index)", "sites", [
                "code": .string("S\(index)"), "customer_id": id("customer"), "name": .string("Office \(index)"), "address": "Lyon",
                "latitude": .number(45.74 + Double(index) * 0.01), "longitude": .number(4.80 + Double(index % 3) * 0.02),
                "time_zone": "Europe/Paris"])
            try await create("unit\(index)", "units", ["serial_number": .string("MFP-\(index)"), "equipment_model_id": id("model"),
                                                       "site_id": id("site\(index)"), "downtime_cost_per_hour": .number(Double(100 * index))])
        }
        for index in 1...2 {
            try await create("technician\(index)", "technicians", [
                "code": .string("T\(index)"), "name": .string("Technician \(index)"), "home_latitude": 45.76, "home_longitude": 4.84,
                "time_zone": "Europe/Paris", "skills": [["skill": "copier", "level": 3]], "calendar": ["weekly": allWeek]])
            try await create("vehicle\(index)", "vehicles", ["registration": .string("VAN-\(index)"), "technician_id": id("technician\(index)")])
        }
        for index in 1...requests { try await fixture.openCall(index, pool: pool) }

        let access = AccessStore(pool: pool)
        for (username, role, links) in [("dispatcher", Role.dispatcher, [:] as JSONObject), ("manager", .manager, [:]),
                                        ("tech1", .technician, ["technician_id": id("technician1")])] {
            var record: JSONObject = ["username": .string(username), "role": .string(role.rawValue)]
            record.merge(links) { $1 }
            _ = try await access.addUser(record)
            fixture.tokens[username] = try await access.createToken(forUsername: username, name: "tests", expiresAt: nil).1.value
        }
        return fixture
    }

    /// Logs a call on unit `index` and moves it to dispatch_needed; its id is `request<index>`.
    mutating func openCall(_ index: Int, priority: String? = nil, pool: PGPool) async throws {
        var record: JSONObject = ["unit_id": .number(Double(self["unit\(index)"])), "channel": "phone", "call_type": "corrective",
                                  "symptom": "paper jam", "reported_at": .string(Timestamp.format(Date().addingTimeInterval(-3_600)))]
        if let priority { record["priority"] = .string(priority); record["priority_override_reason"] = "test" }
        guard case .created(let stored) = try await RegistryStore(pool: pool).create("service-requests", record: record, as: .operator) else { return }
        ids["request\(index)"] = stored.id
        _ = try await TransitionStore(pool: pool).transition("service-requests", id: stored.id, request: ["to": "dispatch_needed"],
                                                              expectedVersion: 1, as: .operator)
    }

    /// Runs `body` with a pool on a new migrated database.
    static func withDatabasePool(_ body: (PGPool) async throws -> Void) async throws {
        try await TestDatabase.withDatabase { database in
            let pool = PGPool(configuration: database, options: .init(maxConnections: 4), logger: logger)
            do {
                try await body(pool)
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
        }
    }

    static let logger = Logger(label: "planning-tests") { _ in SwiftLogNoOpLogHandler() }

    static func worker(_ pool: PGPool, name: String = "test-worker") -> PlanningWorker {
        PlanningWorker(runs: PlanRunStore(pool: pool), name: name, staleAfter: .seconds(30), logger: logger)
    }

    /// Queues a run with `body` as the dispatcher and executes it with a worker; returns the run's id.
    static func plan(_ pool: PGPool, _ body: JSONObject = [:]) async throws -> Int {
        var body = body
        body["time_limit_seconds"] = body["time_limit_seconds"] ?? 0.5
        let document = try await PlanRunStore(pool: pool).create(body, as: dispatcher)
        let id = try require(JSONValue(parsing: document)?.objectValue?["id"]?.integerValue)
        _ = try await worker(pool).runOnce()
        return id
    }

    static let dispatcher = Principal(userID: 0, username: "test-dispatcher", role: .dispatcher)

    /// The stored run, as the API shows it.
    static func run(_ pool: PGPool, _ id: Int) async throws -> JSONObject {
        try require(JSONValue(parsing: try await PlanRunStore(pool: pool).get(id, as: dispatcher))?.objectValue)
    }
}

/// `#require` for plain Swift code outside a test body.
func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw PlanningFixtureError(description: message) }
    return value
}

struct PlanningFixtureError: Error, CustomStringConvertible {
    let description: String
}
