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
        /// Uptime of covered units within their contract's coverage hours.
        case uptime
        /// Mean copies between calls of page-counting units, against their model's fleet average.
        case mcbc
        /// Preventive maintenance done versus due.
        case pm
        /// Technician utilisation (on site, travelling, idle within shift hours) and visits per day.
        case technicians
        /// Parts fitted and their cost.
        case parts
        /// Vendor RMA turnaround and vendor SLA compliance.
        case rma

        /// The figure a chart of this report plots, and how to label it.
        public var headline: (figure: String, label: String) {
            switch self {
            case .downtime: ("downtime_hours", "downtime hours")
            case .times: ("restore_mean_minutes", "mean time to restore (minutes)")
            case .dealer: ("first_call_effectiveness_pct", "first-call effectiveness %")
            case .calls: ("calls", "calls")
            case .sla: ("restore_compliance_pct", "restore SLA compliance %")
            case .uptime: ("uptime_pct", "uptime % within coverage hours")
            case .mcbc: ("mcbc", "mean copies between calls")
            case .pm: ("pm_done_pct", "preventive maintenance done / due %")
            case .technicians: ("utilisation_pct", "utilisation % of shift hours")
            case .parts: ("parts_cost", "parts cost")
            case .rma: ("turnaround_mean_hours", "mean RMA turnaround (hours)")
            }
        }

        /// What the report counts, which decides the filters and groupings it accepts.
        var subject: Subject {
            switch self {
            case .downtime, .times, .dealer, .calls, .sla: .calls
            case .uptime, .mcbc, .pm: .units
            case .technicians: .technicians
            case .parts: .parts
            case .rma: .rmas
            }
        }
    }

    /// The rows a report counts; each names its tables with the same aliases (`c` customer, `s` site, `d` department,
    /// `m` model, `u` unit, and `r` call, `t` technician, `pt` part, `vd` vendor where they apply).
    enum Subject {
        case calls, units, technicians, parts, rmas

        /// The groupings a report on this subject accepts.
        var groupings: [Grouping] {
            let places: [Grouping] = [.none, .customer, .site, .department, .model, .unit]
            return switch self {
            case .calls: places + [.priority, .callType]
            case .units: places
            case .technicians: [.none, .technician]
            case .parts: places + [.priority, .callType, .technician, .part]
            case .rmas: places + [.vendor]
            }
        }

        /// The filters a report on this subject accepts.
        var filters: [String] {
            switch self {
            case .calls, .parts: ["call_type", "customer", "department", "model", "priority", "site", "technician", "vendor"]
            case .units, .rmas: ["customer", "department", "model", "site", "vendor"]
            case .technicians: ["technician"]
            }
        }

        /// The condition a filter puts on this subject's rows; nil when an id filter's value is not a number.
        func condition(_ filter: String, _ value: String) -> PGQuery? {
            switch filter {
            case "priority": return "r.priority = \(value)"
            case "call_type": return "r.call_type = \(value)"
            default: break
            }
            guard let id = Int(value) else { return nil }
            switch (filter, self) {
            case ("customer", _): return "c.id = \(id)"
            case ("site", _): return "s.id = \(id)"
            case ("department", _): return "d.id = \(id)"
            case ("model", _): return "m.id = \(id)"
            case ("vendor", .rmas): return "a.vendor_id = \(id)"
            case ("vendor", _): return "EXISTS (SELECT 1 FROM vendor_unit vu WHERE vu.unit_id = u.id AND vu.vendor_id = \(id))"
            case ("technician", .calls): return "EXISTS (SELECT 1 FROM visit tv WHERE tv.service_request_id = r.id AND tv.technician_id = \(id))"
            case ("technician", _): return "t.id = \(id)"
            default: return nil
            }
        }
    }

    /// What a report is grouped by.
    public enum Grouping: String, CaseIterable, Sendable {
        case none, customer, site, department, model, unit, priority, callType = "call_type", technician, part, vendor

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
            case .technician: "t.code || ' ' || t.name"
            case .part: "pt.part_number || ' ' || pt.description"
            case .vendor: "vd.name"
            }
        }
    }

    /// The period and filters of a report.
    public struct Query: Sendable {
        public var from: Date
        public var to: Date
        public var grouping: Grouping
        /// Filter name → id or value: customer, site, department, model, vendor, technician, priority, call_type.
        public var filters: [String: String]
        /// Count calls whose figures are final from the stored summaries where they are current (the default), or
        /// compute every call directly (to check the summaries against).
        public var usesStoredSummaries: Bool

        public init(from: Date, to: Date, grouping: Grouping, filters: [String: String], usesStoredSummaries: Bool = true) {
            self.from = from
            self.to = to
            self.grouping = grouping
            self.filters = filters
            self.usesStoredSummaries = usesStoredSummaries
        }
    }

    /// How a trend splits the period.
    public enum Step: String, CaseIterable, Sendable {
        case day, week, month
    }

    /// The report over consecutive slices of the period, each `step` long from `from` (the last one ends at `to`),
    /// for trend charts; at most 120 slices.
    /// - Throws: As ``run(_:_:as:)``, and `invalid` for too many slices.
    public func trend(_ name: Name, _ query: Query, per step: Step, as principal: Principal) async throws -> [(start: Date, rows: [JSONObject])] {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = .gmt
        var slices: [(start: Date, rows: [JSONObject])] = []
        var start = query.from
        while start < query.to {
            guard slices.count < 120 else { throw RegistryError.invalid([FieldError(field: "per", message: "makes more than 120 slices of the period")]) }
            let next = step == .month ? gregorian.date(byAdding: .month, value: 1, to: start) ?? query.to
                : start.addingTimeInterval(step == .week ? 7 * 86_400 : 86_400)
            var slice = query
            (slice.from, slice.to) = (start, min(next, query.to))
            slices.append((start, try await run(name, slice, as: principal)))
            start = next
        }
        return slices
    }

    /// Runs a report; rows are JSON objects with a `group` member and the report's figures.
    ///
    /// Managers, dispatchers and admins read every report. A vendor coordinator reads only `rma`, and only their own
    /// vendor's RMAs; anyone else reads none.
    /// - Throws: ``RegistryError/forbidden(_:)`` for callers who may not read this report, `invalid` for a bad period,
    ///   grouping or filter.
    public func run(_ name: Name, _ query: Query, as principal: Principal) async throws -> [JSONObject] {
        var query = query
        switch principal.role {
        case .admin, .dispatcher, .manager:
            break
        case .vendorCoordinator where name == .rma:
            guard let vendorID = principal.vendorID, query.filters["vendor"].map({ $0 == String(vendorID) }) ?? true else {
                throw RegistryError.forbidden("a vendor coordinator reads their own vendor's RMA figures only")
            }
            query.filters["vendor"] = String(vendorID)
        default:
            throw RegistryError.forbidden("reports are for managers, dispatchers and admins; vendor coordinators read their vendor's rma report")
        }
        guard query.from < query.to else { throw RegistryError.invalid([FieldError(field: "to", message: "must be after from")]) }
        let subject = name.subject
        guard subject.groupings.contains(query.grouping) else {
            throw RegistryError.invalid([FieldError(field: "by", message: "must be one of \(subject.groupings.map(\.rawValue).joined(separator: ", ")) for \(name.rawValue)")])
        }
        var conditions: [PGQuery] = ["true"]
        for (filter, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard subject.filters.contains(filter) else {
                throw RegistryError.invalid([FieldError(field: filter, message: "is not a filter of \(name.rawValue) (filters: \(subject.filters.joined(separator: ", ")))")])
            }
            guard let condition = subject.condition(filter, value) else { throw RegistryError.invalid([FieldError(field: filter, message: "must be an id")]) }
            conditions.append(condition)
        }
        let scope = PGQuery.joined(conditions, separator: " AND ")
        let calls: PGQuery = """
            SELECT r.id, r.reported_at, r.first_on_site_at, r.restored_at, r.unit_down, r.call_type, r.priority, r.callback_of_id,
                r.contract_id, \(query.grouping.expression) AS grouping, s.time_zone AS site_time_zone,
                r.version AS request_version, k.version AS contract_version,
                coalesce(u.downtime_cost_per_hour, k.downtime_cost_per_hour, 0)::float8 AS cost_per_hour
            FROM service_request r
            JOIN site s ON s.id = r.site_id JOIN customer c ON c.id = r.customer_id
            LEFT JOIN department d ON d.id = r.department_id LEFT JOIN unit u ON u.id = r.unit_id
            LEFT JOIN equipment_model m ON m.id = u.equipment_model_id LEFT JOIN service_contract k ON k.id = r.contract_id
            WHERE r.reported_at >= \(query.from) AND r.reported_at < \(query.to) AND
            """ + " " + scope
        // One snapshot for all of a report's queries. The planner cannot size joins of aggregates over a CTE and
        // would JIT-compile them, which on a million events cost more than running them; and their hash tables of
        // a hundred thousand calls fit in 32 MB rather than spilling to disk.
        return try await pool.withTransaction(isolation: .repeatableRead, readOnly: true) { connection in
            try await connection.execute("SET LOCAL jit = off")
            try await connection.execute("SET LOCAL work_mem = '32MB'")
            return try await report(name, query, scope: scope, calls: calls, on: connection)
        }
    }

    /// The report's rows, from `calls` (the scoped calls) or its own subject.
    private func report(_ name: Name, _ query: Query, scope: PGQuery, calls: PGQuery, on connection: PGConnection) async throws -> [JSONObject] {
        let sql: PGQuery
        switch name {
        case .sla:
            return try await slaCompliance(calls, until: query.to, storedOutcomes: query.usesStoredSummaries, on: connection)
        case .uptime:
            return try await uptime(query, scope: scope, on: connection)
        case .mcbc:
            sql = mcbc(query, scope: scope)
        case .pm:
            sql = preventiveMaintenance(query, scope: scope)
        case .technicians:
            return try await utilisation(query, scope: scope, on: connection)
        case .parts:
            sql = partsUsed(query, scope: scope)
        case .rma:
            return try await vendorRMAs(query, scope: scope, on: connection)
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
                ), visits AS (
                    SELECT v.service_request_id AS id, bool_or(v.incomplete_code = 'needs_part') AS held_for_parts,
                        bool_or(v.status = 'cancelled') AS rescheduled,
                        (array_agg(v.outcome IN ('fixed', 'no_fault_found') ORDER BY v.arrived_at NULLS LAST, v.id)
                            FILTER (WHERE v.status IN ('completed', 'incomplete')))[1] AS first_visit_fixed,
                        count(*) FILTER (WHERE v.status = 'incomplete') AS incomplete_visits,
                        count(*) FILTER (WHERE v.status IN ('completed', 'incomplete')) AS finished_visits
                    FROM visit v JOIN calls ON calls.id = v.service_request_id GROUP BY v.service_request_id
                ), parts AS (
                    SELECT v.service_request_id AS id, sum(p.quantity * p.unit_cost) AS parts_cost
                    FROM visit_part p JOIN visit v ON v.id = p.visit_id JOIN calls ON calls.id = v.service_request_id
                    GROUP BY v.service_request_id
                ), figures AS (
                    SELECT grouping, call_type, callback_of_id IS NOT NULL AS callback,
                        coalesce(held_for_parts, false) AS held_for_parts, coalesce(rescheduled, false) AS rescheduled,
                        first_visit_fixed, coalesce(incomplete_visits, 0) AS incomplete_visits,
                        coalesce(finished_visits, 0) AS finished_visits, coalesce(parts_cost, 0) AS parts_cost
                    FROM calls LEFT JOIN visits USING (id) LEFT JOIN parts USING (id))
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
                ), moves AS (
                    SELECT e.entity_id AS id, bool_or(e.to_status = 'escalated') AS escalated,
                        bool_or(e.to_status = 'dispatch_needed') AS dispatched, bool_or(e.to_status = 'resolved_remotely') AS remote
                    FROM event e JOIN calls ON calls.id = e.entity_id
                    WHERE e.entity = 'service_request' AND e.to_status IN ('escalated', 'dispatch_needed', 'resolved_remotely')
                    GROUP BY e.entity_id
                ), paths AS (
                    SELECT grouping, coalesce(escalated OR dispatched, false) AS forwarded, coalesce(escalated, false) AS escalated,
                        coalesce(dispatched, false) AS dispatched, coalesce(remote, false) AS remote
                    FROM calls LEFT JOIN moves USING (id))
                SELECT jsonb_build_object('group', grouping, 'calls', count(*),
                    'resolved_remotely', count(*) FILTER (WHERE remote),
                    'first_contact_resolution_pct', round(100.0 * count(*) FILTER (WHERE remote AND NOT forwarded) / count(*), 1),
                    'escalated_pct', round(100.0 * count(*) FILTER (WHERE escalated) / count(*), 1),
                    'dispatched_pct', round(100.0 * count(*) FILTER (WHERE dispatched) / count(*), 1))::text
                FROM paths GROUP BY grouping ORDER BY count(*) DESC, grouping
                """
        }
        return try await connection.query(sql).map { row in
            guard case .object(let object)? = JSONValue(parsing: try row.decode(String.self, at: 0)) else { return [:] }
            return object
        }
    }

    /// SLA compliance per group: the clocks of every call with a contract, evaluated at the end of the period (or
    /// now, if earlier), and each restore breach attributed to what the call waited on longest outside our hands:
    /// parts or the vendor, when the breach would not have happened without that wait; otherwise our own dispatch.
    /// Waiting for the customer pauses the clocks, so it never causes a breach. Calls whose clocks had stopped by
    /// then are counted from their stored outcome when it is current (``SLAOutcomeStore``), unless
    /// `storedOutcomes` is false; every other call is evaluated here.
    func slaCompliance(_ calls: PGQuery, until end: Date, storedOutcomes: Bool, on connection: PGConnection) async throws -> [JSONObject] {
        let now = min(Date(), end)
        let calls = SLAOutcomeStore.join(calls + " AND r.contract_id IS NOT NULL")
        let settled: PGQuery = storedOutcomes ? SLAOutcomeStore.settled(by: now) : "false"
        var groups: [String: SLATally] = [:]
        for row in try await connection.query("""
            SELECT grouping, o.response, o.restore, o.breach_cause, count(*) FROM
            """ + calls + " WHERE " + settled + " GROUP BY 1, 2, 3, 4") {
            let (group, response, restore, cause, count) = try row.decode((String, String?, String?, String?, Int).self)
            let outcome = SLAOutcome(response: response.flatMap(SLAOutcome.Standing.init), restore: restore.flatMap(SLAOutcome.Standing.init),
                                     breachCause: cause)
            groups[group, default: SLATally()].add(outcome, count: count)
        }
        var unsettled: [(call: SLACall, group: String)] = []
        for row in try await connection.query("""
            SELECT calls.id, calls.contract_id, calls.priority, calls.reported_at, calls.first_on_site_at, calls.restored_at,
                calls.site_time_zone, calls.grouping FROM
            """ + calls + " WHERE " + settled + " IS NOT TRUE") {
            let (id, contract, priority, reportedAt, firstOnSite, restoredAt, timeZone, group) =
                try row.decode((Int, Int, String, Date, Date?, Date?, String, String).self)
            unsettled.append((SLACall(id: id, contractID: contract, priority: priority, reportedAt: reportedAt, firstOnSite: firstOnSite,
                                      restoredAt: restoredAt, timeZone: timeZone), group))
        }
        let outcomes = try await SLACall.outcomes(unsettled.map(\.call), now: now, on: connection)
        for (call, group) in unsettled {
            groups[group, default: SLATally()].add(outcomes[call.id] ?? SLAOutcome(response: nil, restore: nil, breachCause: nil), count: 1)
        }
        return groups.keys.sorted().map { groups[$0]!.row(group: $0) }
    }
}

/// SLA counts of one group.
struct SLATally {
    var calls = 0
    var responseMet = 0, responseBreached = 0, restoreMet = 0, restoreBreached = 0, restoreRunning = 0
    var causes: [String: Int] = ["own_dispatch": 0, "waiting_for_parts": 0, "waiting_for_vendor": 0]

    /// Counts `count` calls with this outcome.
    mutating func add(_ outcome: SLAOutcome, count: Int) {
        calls += count
        switch outcome.response {
        case .met: responseMet += count
        case .breached: responseBreached += count
        case .running, nil: break
        }
        switch outcome.restore {
        case .met: restoreMet += count
        case .breached:
            restoreBreached += count
            causes[outcome.breachCause ?? "own_dispatch", default: 0] += count
        case .running: restoreRunning += count
        case nil: break
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
