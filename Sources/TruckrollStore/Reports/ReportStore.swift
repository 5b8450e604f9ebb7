import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Support managers' figures over a period, computed in SQL from the calls, visits and parts recorded.
/// Every figure's definition is in `docs/metrics.md`; the SQL here is that definition.
public struct ReportStore: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// The reports there are.
    public enum Name: String, CaseIterable, Sendable {
        /// Downtime hours and cost.
        case downtime
        /// Time to respond and time to restore: mean, median, 90th percentile.
        case times
        /// Dealer service figures: gross and net calls, CB %, HP %, FCE, first-time fix, incomplete calls, parts cost.
        case dealer
        /// Calls by type (or another grouping) and first-contact resolution.
        case calls
        /// SLA compliance for response and restore, each breach attributed to its cause.
        case sla
    }

    /// What a report is grouped by.
    public enum Grouping: String, CaseIterable, Sendable {
        case none, customer, site, department, model, unit, priority, callType = "call_type"

        /// The SQL expression naming a group (static text: never a value).
        var expression: PGQuery {
            switch self {
            case .none: "'all'"
            case .customer: "coalesce(c.name, '-')"
            case .site: "coalesce(s.name, '-')"
            case .department: "coalesce(d.name, '(none)')"
            case .model: "coalesce(m.manufacturer || ' ' || m.name, '(unknown unit)')"
            case .unit: "coalesce(u.serial_number, '(unknown unit)')"
            case .priority: "r.priority"
            case .callType: "r.call_type"
            }
        }
    }

    /// The period and filters of a report.
    public struct Query: Sendable {
        public var from: Date
        public var to: Date
        public var grouping: Grouping
        /// Filter name → id or value: customer, site, department, model, priority, call_type.
        public var filters: [String: String]

        public init(from: Date, to: Date, grouping: Grouping, filters: [String: String]) {
            self.from = from
            self.to = to
            self.grouping = grouping
            self.filters = filters
        }
    }

    /// Filters a report accepts: each turns its value into a condition (ids must be numbers).
    static let filters: [String: @Sendable (String) -> PGQuery?] = [
        "customer": { Int($0).map { "r.customer_id = \($0)" } },
        "site": { Int($0).map { "r.site_id = \($0)" } },
        "department": { Int($0).map { "r.department_id = \($0)" } },
        "model": { Int($0).map { "u.equipment_model_id = \($0)" } },
        "priority": { "r.priority = \($0)" },
        "call_type": { "r.call_type = \($0)" },
    ]

    /// Runs a report; rows are JSON objects with a `group` member and the report's figures.
    /// - Throws: ``RegistryError/forbidden(_:)`` for roles that may not read reports, `invalid` for bad filters.
    public func run(_ name: Name, _ query: Query, as principal: Principal) async throws -> [JSONObject] {
        guard [.admin, .dispatcher, .manager].contains(principal.role) else {
            throw RegistryError.forbidden("reports are for managers, dispatchers and admins")
        }
        guard query.from < query.to else { throw RegistryError.invalid([FieldError(field: "to", message: "must be after from")]) }
        var conditions: [PGQuery] = ["r.reported_at >= \(query.from)", "r.reported_at < \(query.to)"]
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard let filter = Self.filters[name] else {
                throw RegistryError.invalid([FieldError(field: name, message: "is not a report filter (filters: \(Self.filters.keys.sorted().joined(separator: ", ")))")])
            }
            guard let condition = filter(value) else { throw RegistryError.invalid([FieldError(field: name, message: "must be an id")]) }
            conditions.append(condition)
        }
        let scope = PGQuery.joined(conditions, separator: " AND ")
        let calls: PGQuery = """
            SELECT r.*, \(query.grouping.expression) AS grouping, s.time_zone AS site_time_zone,
                coalesce(u.downtime_cost_per_hour, k.downtime_cost_per_hour, 0)::float8 AS cost_per_hour
            FROM service_request r
            JOIN site s ON s.id = r.site_id JOIN customer c ON c.id = r.customer_id
            LEFT JOIN department d ON d.id = r.department_id LEFT JOIN unit u ON u.id = r.unit_id
            LEFT JOIN equipment_model m ON m.id = u.equipment_model_id LEFT JOIN service_contract k ON k.id = r.contract_id
            WHERE
            """ + " " + scope
        let sql: PGQuery
        switch name {
        case .sla:
            return try await slaCompliance(calls, until: query.to)
        case .downtime:
            sql = "WITH calls AS (" + calls + """
                ), down AS (
                    SELECT grouping, extract(epoch FROM least(coalesce(restored_at, \(query.to)), \(query.to)) - reported_at) / 3600 AS hours,
                        cost_per_hour FROM calls WHERE unit_down)
                SELECT jsonb_build_object('group', grouping, 'calls', count(*), 'downtime_hours', round(sum(hours)::numeric, 2),
                    'downtime_cost', round(sum(hours * cost_per_hour)::numeric, 2))::text
                FROM down GROUP BY grouping ORDER BY sum(hours * cost_per_hour) DESC, grouping
                """
        case .times:
            sql = "WITH calls AS (" + calls + """
                ), times AS (
                    SELECT grouping, extract(epoch FROM first_on_site_at - reported_at) / 60 AS respond,
                        extract(epoch FROM restored_at - reported_at) / 60 AS restore FROM calls)
                SELECT jsonb_build_object('group', grouping, 'calls', count(*),
                    'responded', count(respond), 'respond_mean_minutes', round(avg(respond)::numeric, 1),
                    'respond_median_minutes', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY respond))::numeric, 1),
                    'respond_p90_minutes', round((percentile_cont(0.9) WITHIN GROUP (ORDER BY respond))::numeric, 1),
                    'restored', count(restore), 'restore_mean_minutes', round(avg(restore)::numeric, 1),
                    'restore_median_minutes', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY restore))::numeric, 1),
                    'restore_p90_minutes', round((percentile_cont(0.9) WITHIN GROUP (ORDER BY restore))::numeric, 1))::text
                FROM times GROUP BY grouping ORDER BY grouping
                """
        case .dealer:
            sql = "WITH calls AS (" + calls + """
                ), figures AS (
                    SELECT grouping, call_type, callback_of_id IS NOT NULL AS callback,
                        EXISTS (SELECT 1 FROM visit v WHERE v.service_request_id = calls.id AND v.incomplete_code = 'needs_part') AS held_for_parts,
                        EXISTS (SELECT 1 FROM visit v WHERE v.service_request_id = calls.id AND v.status = 'cancelled') AS rescheduled,
                        (SELECT v.outcome IN ('fixed', 'no_fault_found') FROM visit v
                         WHERE v.service_request_id = calls.id AND v.status IN ('completed', 'incomplete')
                         ORDER BY v.arrived_at NULLS LAST, v.id LIMIT 1) AS first_visit_fixed,
                        (SELECT count(*) FROM visit v WHERE v.service_request_id = calls.id AND v.status = 'incomplete') AS incomplete_visits,
                        (SELECT count(*) FROM visit v WHERE v.service_request_id = calls.id AND v.status IN ('completed', 'incomplete')) AS finished_visits,
                        (SELECT coalesce(sum(p.quantity * p.unit_cost), 0) FROM visit_part p JOIN visit v ON v.id = p.visit_id
                         WHERE v.service_request_id = calls.id) AS parts_cost
                    FROM calls)
                SELECT jsonb_build_object('group', grouping,
                    'gross_calls', count(*),
                    'net_calls', count(*) - count(*) FILTER (WHERE rescheduled) - count(*) FILTER (WHERE callback),
                    'corrective_calls', count(*) FILTER (WHERE call_type = 'corrective'),
                    'callbacks', count(*) FILTER (WHERE callback),
                    'callback_rate_pct', round(100.0 * count(*) FILTER (WHERE callback AND call_type = 'corrective')
                        / nullif(count(*) FILTER (WHERE call_type = 'corrective'), 0), 1),
                    'hold_for_parts_rate_pct', round(100.0 * count(*) FILTER (WHERE held_for_parts AND call_type = 'corrective')
                        / nullif(count(*) FILTER (WHERE call_type = 'corrective'), 0), 1),
                    'first_call_effectiveness_pct', round(100.0
                        - 100.0 * count(*) FILTER (WHERE callback AND call_type = 'corrective') / nullif(count(*) FILTER (WHERE call_type = 'corrective'), 0)
                        - 100.0 * count(*) FILTER (WHERE held_for_parts AND call_type = 'corrective') / nullif(count(*) FILTER (WHERE call_type = 'corrective'), 0), 1),
                    'first_time_fix_pct', round(100.0 * count(*) FILTER (WHERE first_visit_fixed) / nullif(count(first_visit_fixed), 0), 1),
                    'incomplete_visit_rate_pct', round(100.0 * sum(incomplete_visits) / nullif(sum(finished_visits), 0), 1),
                    'parts_cost_per_call', round(sum(parts_cost) / count(*), 2))::text
                FROM figures GROUP BY grouping ORDER BY grouping
                """
        case .calls:
            sql = "WITH calls AS (" + calls + """
                ), paths AS (
                    SELECT grouping, status,
                        EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = calls.id
                                AND e.to_status IN ('escalated', 'dispatch_needed')) AS forwarded,
                        EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = calls.id
                                AND e.to_status = 'escalated') AS escalated,
                        EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = calls.id
                                AND e.to_status = 'dispatch_needed') AS dispatched,
                        EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = calls.id
                                AND e.to_status = 'resolved_remotely') AS remote
                    FROM calls)
                SELECT jsonb_build_object('group', grouping, 'calls', count(*),
                    'resolved_remotely', count(*) FILTER (WHERE remote),
                    'first_contact_resolution_pct', round(100.0 * count(*) FILTER (WHERE remote AND NOT forwarded) / count(*), 1),
                    'escalated_pct', round(100.0 * count(*) FILTER (WHERE escalated) / count(*), 1),
                    'dispatched_pct', round(100.0 * count(*) FILTER (WHERE dispatched) / count(*), 1))::text
                FROM paths GROUP BY grouping ORDER BY count(*) DESC, grouping
                """
        }
        return try await pool.query(sql).map { row in
            guard case .object(let object)? = JSONValue(parsing: try row.decode(String.self, at: 0)) else { return [:] }
            return object
        }
    }

    /// SLA compliance per group: the clocks of every call with a contract, evaluated at the end of the period (or
    /// now, if earlier), and each restore breach attributed to what the call waited on longest outside our hands:
    /// parts or the vendor, when the breach would not have happened without that wait; otherwise our own dispatch.
    /// Waiting for the customer pauses the clocks, so it never causes a breach.
    func slaCompliance(_ calls: PGQuery, until end: Date) async throws -> [JSONObject] {
        try await pool.withConnection { connection in
            let rows = try await connection.query("SELECT to_jsonb(calls)::text FROM (" + calls + " AND r.contract_id IS NOT NULL) calls")
            let objects: [JSONObject] = try rows.compactMap { row in
                guard case .object(let object)? = JSONValue(parsing: try row.decode(String.self, at: 0)) else { return nil }
                return object
            }
            let now = min(Date(), end)
            let clocked = try await ServiceClocks.decorate(objects, now: now, on: connection)
            let waits = try await holdMinutes(clocked.compactMap { $0["id"]?.integerValue }, until: now, on: connection)
            var groups: [String: SLATally] = [:]
            for call in clocked {
                guard case .object(let clocks)? = call["clocks"] else { continue }
                let group = call["grouping"]?.stringValue ?? "all"
                var tally = groups[group] ?? SLATally()
                tally.add(clocks: clocks, waits: waits[call["id"]?.integerValue ?? 0] ?? [:])
                groups[group] = tally
            }
            return groups.keys.sorted().map { groups[$0]!.row(group: $0) }
        }
    }

    /// Minutes each call spent on hold, by hold code, from the event log.
    func holdMinutes(_ ids: [Int], until end: Date, on connection: PGConnection) async throws -> [Int: [String: Double]] {
        try await HoldHistory.holds(ids, until: end, on: connection).mapValues { holds in
            holds.reduce(into: [:]) { minutes, hold in minutes[hold.code, default: 0] += hold.interval.duration / 60 }
        }
    }
}

/// SLA counts of one group.
struct SLATally {
    var calls = 0
    var responseMet = 0, responseBreached = 0, restoreMet = 0, restoreBreached = 0, restoreRunning = 0
    var causes: [String: Int] = ["own_dispatch": 0, "waiting_for_parts": 0, "waiting_for_vendor": 0]

    mutating func add(clocks: JSONObject, waits: [String: Double]) {
        calls += 1
        if case .object(let response)? = clocks["response"] {
            if response["breached"] == .bool(true) { responseBreached += 1 } else if response["met_at"] != .null { responseMet += 1 }
        }
        guard case .object(let restore)? = clocks["restore"] else { return }
        if restore["breached"] == .bool(true) {
            restoreBreached += 1
            // Over by this many covered minutes; a wait at least that long is what made the difference.
            let over = -(restore["remaining_minutes"].flatMap { if case .number(let value) = $0 { value } else { nil } } ?? 0)
            let external = ["waiting_for_parts", "waiting_for_vendor"].map { ($0, waits[$0] ?? 0) }.max { $0.1 < $1.1 }
            if let (cause, minutes) = external, minutes > 0, minutes >= over { causes[cause, default: 0] += 1 } else {
                causes["own_dispatch", default: 0] += 1
            }
        } else if restore["met_at"] != .null {
            restoreMet += 1
        } else {
            restoreRunning += 1
        }
    }

    func row(group: String) -> JSONObject {
        func percent(_ part: Int, _ whole: Int) -> JSONValue {
            whole == 0 ? .null : .number((1000 * Double(part) / Double(whole)).rounded() / 10)
        }
        return [
            "group": .string(group), "calls": .number(Double(calls)),
            "response_met": .number(Double(responseMet)), "response_breached": .number(Double(responseBreached)),
            "response_compliance_pct": percent(responseMet, responseMet + responseBreached),
            "restore_met": .number(Double(restoreMet)), "restore_breached": .number(Double(restoreBreached)),
            "restore_running": .number(Double(restoreRunning)),
            "restore_compliance_pct": percent(restoreMet, restoreMet + restoreBreached),
            "breaches_own_dispatch": .number(Double(causes["own_dispatch"] ?? 0)),
            "breaches_waiting_for_parts": .number(Double(causes["waiting_for_parts"] ?? 0)),
            "breaches_waiting_for_vendor": .number(Double(causes["waiting_for_vendor"] ?? 0)),
        ]
    }
}
