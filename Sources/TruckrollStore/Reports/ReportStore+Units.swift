import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Reports on the installed base: uptime within coverage hours, mean copies between calls, preventive maintenance.
extension ReportStore {
    /// Units with their site, customer, department and model, under the usual aliases.
    static let units: PGQuery = """
        FROM unit u JOIN site s ON s.id = u.site_id JOIN customer c ON c.id = s.customer_id
        LEFT JOIN department d ON d.id = u.department_id JOIN equipment_model m ON m.id = u.equipment_model_id
        """

    /// Uptime % of covered units within their coverage hours (docs/metrics.md, `uptime`).
    func uptime(_ query: Query, scope: PGQuery, on connection: PGConnection) async throws -> [JSONObject] {
        // Each unit under the latest contract overlapping the period, measured over the part of the period the
        // contract is valid (its dates read in the site's time zone).
        let units = try await connection.query("""
            SELECT DISTINCT ON (u.id) u.id, \(query.grouping.expression), k.coverage::text, s.time_zone,
                greatest(\(query.from), k.valid_from::timestamp AT TIME ZONE s.time_zone),
                least(\(query.to), (k.valid_to + 1)::timestamp AT TIME ZONE s.time_zone)
            """ + Self.units + """
             JOIN service_contract_unit l ON l.unit_id = u.id JOIN service_contract k ON k.id = l.service_contract_id
            WHERE k.valid_from::timestamp AT TIME ZONE s.time_zone < \(query.to)
                AND (k.valid_to + 1)::timestamp AT TIME ZONE s.time_zone > \(query.from) AND
            """ + " " + scope + " ORDER BY u.id, k.valid_from DESC, k.id DESC")
        let decoded = try units.map { try $0.decode((Int, String, String, String, Date, Date).self) }
        var outages: [Int: [DateInterval]] = [:]
        for row in try await connection.query("""
            SELECT unit_id, reported_at, least(coalesce(restored_at, \(query.to)), \(query.to)) FROM service_request
            WHERE unit_id = ANY(\(decoded.map(\.0))) AND unit_down AND reported_at < \(query.to)
                AND (restored_at IS NULL OR restored_at > \(query.from))
            """) {
            let (unit, start, end) = try row.decode((Int, Date, Date).self)
            if end > start { outages[unit, default: []].append(DateInterval(start: start, end: end)) }
        }
        var calendars: [String: CoverageCalendar] = [:]
        var covered: [String: Double] = [:]
        var groups: [String: (units: Int, covered: Double, down: Double)] = [:]
        for (unit, group, coverage, timeZone, start, end) in decoded where end > start {
            let key = timeZone + "\u{0}" + coverage
            guard let calendar = calendars[key] ?? JSONValue(parsing: coverage).flatMap({
                CoverageCalendar(coverage: $0, timeZoneIdentifier: timeZone)
            }) else { continue }
            calendars[key] = calendar
            let span = "\(key)\u{0}\(start.timeIntervalSince1970)\u{0}\(end.timeIntervalSince1970)"
            let minutes = covered[span] ?? calendar.coveredMinutes(from: start, to: end)
            covered[span] = minutes
            let down = CoverageCalendar.merged(outages[unit] ?? []).reduce(0.0) { total, outage in
                total + calendar.coveredMinutes(from: max(outage.start, start), to: min(outage.end, end))
            }
            var tally = groups[group] ?? (0, 0, 0)
            tally = (tally.units + 1, tally.covered + minutes, tally.down + down)
            groups[group] = tally
        }
        return groups.sorted { ($0.value.covered == 0 ? 1 : 1 - $0.value.down / $0.value.covered, $0.key)
            < ($1.value.covered == 0 ? 1 : 1 - $1.value.down / $1.value.covered, $1.key) }.map { group, tally in
            [
                "group": .string(group), "units": .number(Double(tally.units)),
                "covered_hours": .number((tally.covered / 60 * 100).rounded() / 100),
                "down_covered_hours": .number((tally.down / 60 * 100).rounded() / 100),
                "uptime_pct": tally.covered == 0 ? .null : .number((1000 * (1 - tally.down / tally.covered)).rounded() / 10),
            ]
        }
    }

    /// Mean copies between calls per group, against the fleet average of each unit's model (docs/metrics.md, `mcbc`).
    func mcbc(_ query: Query, scope: PGQuery) -> PGQuery {
        """
        WITH usage AS (
            SELECT u.id, u.equipment_model_id AS model_id,
                (SELECT CASE WHEN count(*) >= 2 THEN max(pages) - min(pages) END FROM meter_reading mr
                 WHERE mr.unit_id = u.id AND mr.status = 'accepted' AND mr.read_at >= \(query.from) AND mr.read_at < \(query.to)) AS copies,
                (SELECT count(*) FROM service_request r WHERE r.unit_id = u.id AND r.call_type = 'corrective'
                 AND r.reported_at >= \(query.from) AND r.reported_at < \(query.to)) AS calls
            FROM unit u JOIN equipment_model m ON m.id = u.equipment_model_id WHERE m.page_counting
        ), fleet AS (
            SELECT model_id, sum(copies) / nullif(sum(calls) FILTER (WHERE copies IS NOT NULL), 0) AS mcbc FROM usage GROUP BY model_id
        ), measured AS (
            SELECT \(query.grouping.expression) AS grouping, usage.model_id, usage.copies, usage.calls, fleet.mcbc AS model_mcbc
        """ + " " + Self.units + """
             JOIN usage ON usage.id = u.id JOIN fleet ON fleet.model_id = usage.model_id WHERE
        """ + " " + scope + """
        )
        SELECT jsonb_build_object('group', grouping, 'units', count(*), 'units_with_readings', count(copies),
            'copies', coalesce(sum(copies), 0), 'corrective_calls', coalesce(sum(calls) FILTER (WHERE copies IS NOT NULL), 0),
            'mcbc', round(sum(copies) / nullif(sum(calls) FILTER (WHERE copies IS NOT NULL), 0)),
            'model_mcbc', CASE WHEN count(DISTINCT model_id) = 1 THEN round(max(model_mcbc)) END,
            'units_far_below_model', count(*) FILTER (WHERE calls > 0 AND copies::numeric / calls < 0.5 * model_mcbc))::text
        FROM measured GROUP BY grouping ORDER BY grouping
        """
    }

    /// Preventive maintenance done versus due (docs/metrics.md, `pm`).
    func preventiveMaintenance(_ query: Query, scope: PGQuery) -> PGQuery {
        """
        WITH units AS (
            SELECT \(query.grouping.expression) AS grouping, u.id, m.pm_interval_days, m.pm_interval_pages,
                u.install_date::timestamp AT TIME ZONE s.time_zone AS installed_at,
                greatest(\(query.from), u.install_date::timestamp AT TIME ZONE s.time_zone) AS since
        """ + " " + Self.units + """
             WHERE (m.pm_interval_days IS NOT NULL OR m.pm_interval_pages IS NOT NULL) AND u.status <> 'retired'
                AND (u.install_date IS NULL OR u.install_date::timestamp AT TIME ZONE s.time_zone < \(query.to)) AND
        """ + " " + scope + """
        ), figures AS (
            SELECT grouping, pm_interval_days, installed_at, done.n AS done, done.last AS last_done,
                greatest(coalesce(extract(epoch FROM \(query.to) - since)::float8 / 86400 / pm_interval_days, 0),
                    coalesce((SELECT CASE WHEN count(*) >= 2 THEN (max(pages) - min(pages))::float8 END FROM meter_reading mr
                              WHERE mr.unit_id = units.id AND mr.status = 'accepted' AND mr.read_at >= since AND mr.read_at < \(query.to))
                             / pm_interval_pages, 0)) AS due
            FROM units, LATERAL (
                SELECT count(*) FILTER (WHERE done_at >= \(query.from)) AS n, max(done_at) AS last FROM (
                    SELECT coalesce(v.departed_at, v.arrived_at) AS done_at FROM visit v JOIN service_request r ON r.id = v.service_request_id
                    WHERE r.unit_id = units.id AND r.call_type = 'preventive' AND v.status = 'completed') visits
                WHERE done_at < \(query.to)) done
        )
        SELECT jsonb_build_object('group', grouping, 'units', count(*), 'pm_due', round(sum(due)::numeric, 1), 'pm_done', sum(done),
            'pm_done_pct', round((100 * sum(done) / nullif(sum(due), 0))::numeric, 1),
            'overdue_units', count(*) FILTER (WHERE pm_interval_days IS NOT NULL
                AND coalesce(last_done, installed_at, '-infinity') < \(query.to) - make_interval(days => pm_interval_days)))::text
        FROM figures GROUP BY grouping ORDER BY grouping
        """
    }
}
