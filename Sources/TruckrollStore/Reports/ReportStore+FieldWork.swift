import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Reports on field work: technician utilisation and visits per day, parts fitted and their cost.
extension ReportStore {
    /// Utilisation per technician within their shift hours (docs/metrics.md, `technicians`).
    func utilisation(_ query: Query, scope: PGQuery, on connection: PGConnection) async throws -> [JSONObject] {
        let end = min(Date(), query.to)
        let technicians = try await connection.query("""
            SELECT t.id, \(query.grouping.expression), t.calendar::text, t.time_zone FROM technician t
            WHERE (t.status = 'active' OR EXISTS (SELECT 1 FROM visit v WHERE v.technician_id = t.id
                AND v.arrived_at >= \(query.from) AND v.arrived_at < \(query.to))) AND
            """ + " " + scope + " ORDER BY t.code").map { try $0.decode((Int, String, String, String).self) }
        var onSite: [Int: [DateInterval]] = [:], travel: [Int: [DateInterval]] = [:], visits: [Int: Int] = [:]
        let period = DateInterval(start: query.from, end: query.to)
        func clipped(_ start: Date?, _ stop: Date?) -> DateInterval? {
            guard let start else { return nil }
            let interval = DateInterval(start: max(start, period.start), end: max(min(stop ?? end, period.end), period.start))
            return interval.duration > 0 ? interval : nil
        }
        for row in try await connection.query("""
            SELECT technician_id, en_route_at, arrived_at, departed_at FROM visit
            WHERE technician_id = ANY(\(technicians.map(\.0))) AND status <> 'cancelled'
                AND coalesce(en_route_at, arrived_at) < \(query.to) AND (departed_at IS NULL OR departed_at > \(query.from))
            """) {
            let (technician, enRoute, arrived, departed) = try row.decode((Int, Date?, Date?, Date?).self)
            if let interval = clipped(enRoute, arrived) { travel[technician, default: []].append(interval) }
            if let interval = clipped(arrived, departed) { onSite[technician, default: []].append(interval) }
            if let arrived, period.contains(arrived), arrived < period.end { visits[technician, default: 0] += 1 }
        }
        var groups: [String: [Double]] = [:]
        var order: [String] = []
        for (id, group, calendarText, timeZone) in technicians {
            guard let calendar = JSONValue(parsing: calendarText).flatMap({ ShiftCalendar(calendar: $0, timeZoneIdentifier: timeZone) })
            else { continue }
            let busy = CoverageCalendar.merged((onSite[id] ?? []) + (travel[id] ?? []))
            let shift = calendar.minutes(from: query.from, to: query.to)
            let idle = calendar.minutes(from: query.from, to: query.to, excluding: busy)
            let figures = [shift, idle, (onSite[id] ?? []).reduce(0) { $0 + $1.duration / 60 },
                           (travel[id] ?? []).reduce(0) { $0 + $1.duration / 60 }, busy.reduce(0) { $0 + $1.duration / 60 },
                           Double(visits[id] ?? 0), Double(calendar.workingDays(from: query.from, to: query.to))]
            if groups[group] == nil { order.append(group) }
            groups[group] = zip(groups[group] ?? Array(repeating: 0, count: figures.count), figures).map(+)
        }
        return order.map { group in
            let values = groups[group] ?? []
            let (shift, idle, onSite, travel, busy, visits, days) = (values[0], values[1], values[2], values[3], values[4], values[5], values[6])
            func hours(_ minutes: Double) -> JSONValue { .number((minutes / 60 * 100).rounded() / 100) }
            return [
                "group": .string(group), "shift_hours": hours(shift), "on_site_hours": hours(onSite), "travel_hours": hours(travel),
                "idle_hours": hours(idle), "overtime_hours": hours(busy - (shift - idle)),
                "utilisation_pct": shift == 0 ? .null : .number((1000 * (shift - idle) / shift).rounded() / 10),
                "visits": .number(visits), "working_days": .number(days),
                "visits_per_day": days == 0 ? .null : .number((visits / days * 100).rounded() / 100),
            ]
        }
    }

    /// Parts fitted in the period and their cost (docs/metrics.md, `parts`).
    func partsUsed(_ query: Query, scope: PGQuery) -> PGQuery {
        """
        WITH used AS (
            SELECT \(query.grouping.expression) AS grouping, p.quantity, p.quantity * p.unit_cost AS cost, p.visit_id, r.id AS call_id
            FROM visit_part p JOIN part pt ON pt.id = p.part_id JOIN visit v ON v.id = p.visit_id JOIN technician t ON t.id = v.technician_id
            JOIN service_request r ON r.id = v.service_request_id JOIN site s ON s.id = r.site_id JOIN customer c ON c.id = r.customer_id
            LEFT JOIN department d ON d.id = r.department_id LEFT JOIN unit u ON u.id = r.unit_id
            LEFT JOIN equipment_model m ON m.id = u.equipment_model_id
            WHERE p.used_at >= \(query.from) AND p.used_at < \(query.to) AND
        """ + " " + scope + """
        )
        SELECT jsonb_build_object('group', grouping, 'quantity', sum(quantity), 'visits', count(DISTINCT visit_id),
            'calls', count(DISTINCT call_id), 'parts_cost', round(sum(cost), 2),
            'cost_per_call', round(sum(cost) / count(DISTINCT call_id), 2))::text
        FROM used GROUP BY grouping ORDER BY sum(cost) DESC, grouping
        """
    }
}
