import FoundationEssentials
import LibPQ
import TruckrollDomain
import TruckrollPlanning

/// Reads what a planning run needs from the live database, in one repeatable-read transaction so that the
/// requests, visits and stock agree with each other.
enum PlanningSnapshotLoader {
    /// Closed calls further back than this do not teach which parts a model needs.
    static let historyDays = 365
    /// A model and problem code need this many past calls before their parts statistics count.
    static let minimumHistoryCalls = 3

    static func load(horizon: DateInterval, now: Date, technicianIDs: [Int]?, on connection: PGConnection) async throws -> PlanningSnapshot {
        let technicians = try await technicians(horizon: horizon, only: technicianIDs, on: connection)
        let (requests, visits) = try await requests(horizon: horizon, now: now, on: connection)
        let depots = try await depots(on: connection)
        return PlanningSnapshot(now: now, horizon: horizon, technicians: technicians, requests: requests, visits: visits, depots: depots)
    }

    // MARK: technicians

    private static func technicians(horizon: DateInterval, only ids: [Int]?, on connection: PGConnection) async throws -> [PlanningTechnician] {
        var stock: [Int: [Int: Int]] = [:]
        for row in try await connection.query("""
            SELECT v.technician_id, s.part_id, s.quantity FROM stock_item s JOIN vehicle v ON v.id = s.vehicle_id
            WHERE v.technician_id IS NOT NULL AND v.status = 'in_service' AND s.quantity > 0
            """) {
            let (technician, part, quantity) = try row.decode((Int, Int, Int).self)
            stock[technician, default: [:]][part] = quantity
        }
        var technicians: [PlanningTechnician] = []
        for row in try await connection.query("""
            SELECT id, code, name, home_latitude, home_longitude, time_zone, skills::text, calendar::text
            FROM technician WHERE status = 'active' ORDER BY id
            """) {
            let (id, code, name, latitude, longitude, timeZone, skills, calendar) = try row.decode((Int, String, String, Double, Double, String, String, String).self)
            if let ids, !ids.contains(id) { continue }
            let shifts = JSONValue(parsing: calendar).flatMap { WorkingCalendar(calendar: $0, timeZoneIdentifier: timeZone) }?
                .shifts(from: horizon.start, to: horizon.end) ?? []
            technicians.append(PlanningTechnician(
                id: id, code: code, name: name, home: Coordinate(latitude: latitude, longitude: longitude),
                skills: skillLevels(skills), shifts: shifts, vanStock: stock[id] ?? [:]))
        }
        return technicians
    }

    /// `[{"skill": "x", "level": 3}]` as a dictionary.
    static func skillLevels(_ json: String) -> [String: Int] {
        guard case .array(let entries)? = JSONValue(parsing: json) else { return [:] }
        var levels: [String: Int] = [:]
        for case .object(let entry) in entries {
            if let skill = entry["skill"]?.stringValue, let level = entry["level"]?.integerValue { levels[skill] = level }
        }
        return levels
    }

    // MARK: requests and visits

    private static func requests(horizon: DateInterval, now: Date, on connection: PGConnection) async throws -> ([PlanningRequest], [OpenVisit]) {
        let rows = try await connection.query("""
            SELECT r.id, r.version, r.status, r.priority, r.reported_at, r.site_id, s.latitude, s.longitude, s.access_hours::text,
                s.time_zone, coalesce(m.required_skills, '[]')::text, coalesce(m.typical_repair_minutes, 60),
                coalesce(u.downtime_cost_per_hour, c.downtime_cost_per_hour, 0)::float8, r.contract_id, r.first_on_site_at,
                u.equipment_model_id, r.problem_code,
                concat_ws(' · ', nullif(concat_ws(' ', m.manufacturer, m.name), ''), u.serial_number, s.name, r.symptom)
            FROM service_request r
            JOIN site s ON s.id = r.site_id
            LEFT JOIN unit u ON u.id = r.unit_id
            LEFT JOIN equipment_model m ON m.id = u.equipment_model_id
            LEFT JOIN service_contract c ON c.id = r.contract_id
            WHERE r.status IN ('dispatch_needed', 'scheduled', 'in_progress')
               OR (r.status = 'on_hold' AND r.hold_code = 'waiting_for_parts')
            ORDER BY r.id
            """)
        struct Row {
            let request: PlanningRequest
            let model: Int?
            let problemCode: String?
            let clockRow: JSONObject
        }
        var loaded: [Row] = []
        for row in rows {
            let (id, version, status, priority, reportedAt, siteID, latitude, longitude, accessHours, timeZone) =
                try row.decode((Int, Int, String, String, Date, Int, Double, Double, String?, String).self)
            let skills = try row.decode(String.self, at: 10)
            let minutes = try row.decode(Int.self, at: 11)
            let cost = try row.decode(Double.self, at: 12)
            let contract = try row.decode(Int?.self, at: 13)
            let firstOnSite = try row.decode(Date?.self, at: 14)
            let model = try row.decode(Int?.self, at: 15)
            let problemCode = try row.decode(String?.self, at: 16)
            let summary = try row.decode(String.self, at: 17)
            let access = accessHours.flatMap(JSONValue.init(parsing:)).flatMap { CoverageCalendar(businessHours: $0, timeZoneIdentifier: timeZone) }
            let request = PlanningRequest(
                id: id, version: version, status: status, priority: priority, reportedAt: reportedAt, siteID: siteID,
                location: Coordinate(latitude: latitude, longitude: longitude),
                accessHours: access?.coveredIntervals(from: horizon.start, to: horizon.end), requiredSkills: skillLevels(skills),
                repairMinutes: minutes, downtimeCostPerHour: cost, restoreDue: nil, parts: [], summary: summary)
            var clockRow: JSONObject = ["id": .number(Double(id)), "reported_at": .string(Timestamp.format(reportedAt)),
                                        "priority": .string(priority), "site_time_zone": .string(timeZone)]
            if let contract { clockRow["contract_id"] = .number(Double(contract)) }
            if let firstOnSite { clockRow["first_on_site_at"] = .string(Timestamp.format(firstOnSite)) }
            loaded.append(Row(request: request, model: model, problemCode: problemCode, clockRow: clockRow))
        }
        let ids = loaded.map(\.request.id)
        var due: [Int: Date] = [:]
        for row in try await ServiceClocks.decorate(loaded.map(\.clockRow), now: now, on: connection) {
            if case .object(let clocks)? = row["clocks"], case .object(let restore)? = clocks["restore"],
               let id = row["id"]?.integerValue, let date = restore["due"]?.stringValue.flatMap(Timestamp.parse) {
                due[id] = date
            }
        }
        let required = try await requiredParts(ids, on: connection)
        let likely = try await likelyParts(loaded.map { ($0.request.id, $0.model, $0.problemCode) }, now: now, on: connection)
        let requests = loaded.map { row in
            var request = row.request
            request.restoreDue = due[request.id]
            let requiredParts = required[request.id] ?? []
            request.parts = requiredParts + (likely[request.id] ?? []).filter { part in !requiredParts.contains { $0.partID == part.partID } }
            return request
        }
        var visits: [OpenVisit] = []
        for row in try await connection.query("""
            SELECT id, version, service_request_id, technician_id, planned_start, planned_minutes, status, locked FROM visit
            WHERE service_request_id = ANY(\(ids)) AND status IN ('planned', 'dispatched', 'en_route', 'on_site')
            ORDER BY technician_id, planned_start
            """) {
            let (id, version, request, technician, start, minutes, status, locked) = try row.decode((Int, Int, Int, Int, Date, Int, String, Bool).self)
            visits.append(OpenVisit(id: id, version: version, requestID: request, technicianID: technician, plannedStart: start,
                                    plannedMinutes: minutes, status: status, locked: locked))
        }
        return (requests, visits)
    }

    /// Parts named on the requests' vendor RMAs, with their ETA and destination.
    private static func requiredParts(_ ids: [Int], on connection: PGConnection) async throws -> [Int: [PartNeed]] {
        var needs: [Int: [PartNeed]] = [:]
        for row in try await connection.query("""
            SELECT a.service_request_id, a.id, p.id, p.part_number, p.description, coalesce(a.delivered_at, a.eta), a.destination,
                a.destination_depot_id, v.technician_id
            FROM rma a
            JOIN part p ON p.id = coalesce(a.replacement_part_id, a.failed_part_id)
            LEFT JOIN vehicle v ON v.id = a.destination_vehicle_id
            WHERE a.service_request_id = ANY(\(ids)) AND a.status IN ('requested', 'approved', 'shipped', 'delivered')
            ORDER BY a.service_request_id, a.id
            """) {
            let (request, rma, part, number, description, eta, destination, depot, technician) =
                try row.decode((Int, Int, Int, String, String, Date?, String?, Int?, Int?).self)
            var inbound: [InboundPart] = []
            if let eta {
                switch (destination, depot, technician) {
                case ("depot", let depot?, _): inbound.append(InboundPart(rmaID: rma, eta: eta, destination: .depot(id: depot)))
                case ("vehicle", _, let technician?): inbound.append(InboundPart(rmaID: rma, eta: eta, destination: .vehicle(technicianID: technician)))
                default: inbound.append(InboundPart(rmaID: rma, eta: eta, destination: .site))
                }
            }
            needs[request, default: []].append(PartNeed(partID: part, partNumber: number, description: description, likelihood: nil, inbound: inbound))
        }
        return needs
    }

    /// Parts used on past calls of the same model and problem code (or of the same model, when the code is unknown
    /// or too rare), with the share of those calls that used each.
    private static func likelyParts(_ requests: [(id: Int, model: Int?, problemCode: String?)], now: Date, on connection: PGConnection) async throws -> [Int: [PartNeed]] {
        let models = Array(Set(requests.compactMap(\.model)))
        guard !models.isEmpty else { return [:] }
        let since = now.addingTimeInterval(-Double(historyDays) * 86_400)
        var calls: [String: Int] = [:]
        for row in try await connection.query("""
            SELECT u.equipment_model_id, coalesce(r.problem_code, ''), count(*) FROM service_request r JOIN unit u ON u.id = r.unit_id
            WHERE u.equipment_model_id = ANY(\(models)) AND r.status IN ('resolved', 'closed') AND r.reported_at >= \(since)
            GROUP BY 1, 2
            """) {
            let (model, code, count) = try row.decode((Int, String, Int).self)
            calls["\(model)/\(code)", default: 0] += count
            calls["\(model)/*", default: 0] += count
        }
        var used: [String: [(part: Int, number: String, description: String, calls: Int)]] = [:]
        var usedByModel: [String: [Int: (number: String, description: String, calls: Int)]] = [:]
        for row in try await connection.query("""
            SELECT u.equipment_model_id, coalesce(r.problem_code, ''), p.id, p.part_number, p.description, count(DISTINCT r.id)
            FROM visit_part vp JOIN visit v ON v.id = vp.visit_id JOIN service_request r ON r.id = v.service_request_id
            JOIN unit u ON u.id = r.unit_id JOIN part p ON p.id = vp.part_id
            WHERE u.equipment_model_id = ANY(\(models)) AND r.status IN ('resolved', 'closed') AND r.reported_at >= \(since)
            GROUP BY 1, 2, 3, 4, 5
            """) {
            let (model, code, part, number, description, count) = try row.decode((Int, String, Int, String, String, Int).self)
            used["\(model)/\(code)", default: []].append((part, number, description, count))
            usedByModel["\(model)/*", default: [:]][part, default: (number, description, 0)].calls += count
        }
        for (key, parts) in usedByModel {
            used[key] = parts.map { ($0.key, $0.value.number, $0.value.description, $0.value.calls) }
        }
        var likely: [Int: [PartNeed]] = [:]
        for request in requests {
            guard let model = request.model else { continue }
            let specific = "\(model)/\(request.problemCode ?? "")"
            let key = request.problemCode != nil && calls[specific, default: 0] >= minimumHistoryCalls ? specific : "\(model)/*"
            let total = calls[key, default: 0]
            guard total >= minimumHistoryCalls else { continue }
            likely[request.id] = (used[key] ?? []).map { part in
                PartNeed(partID: part.part, partNumber: part.number, description: part.description, likelihood: Double(part.calls) / Double(total))
            }.sorted { ($0.likelihood ?? 0, $1.partID) > ($1.likelihood ?? 0, $0.partID) }.prefix(5).map { $0 }
        }
        return likely
    }

    // MARK: depots

    private static func depots(on connection: PGConnection) async throws -> [PlanningDepot] {
        var stock: [Int: [Int: Int]] = [:]
        for row in try await connection.query("SELECT depot_id, part_id, quantity FROM stock_item WHERE depot_id IS NOT NULL AND quantity > 0") {
            let (depot, part, quantity) = try row.decode((Int, Int, Int).self)
            stock[depot, default: [:]][part] = quantity
        }
        return try await connection.query("SELECT id, code, latitude, longitude FROM depot ORDER BY id").map { row in
            let (id, code, latitude, longitude) = try row.decode((Int, String, Double, Double).self)
            return PlanningDepot(id: id, code: code, location: Coordinate(latitude: latitude, longitude: longitude), stock: stock[id] ?? [:])
        }
    }
}
