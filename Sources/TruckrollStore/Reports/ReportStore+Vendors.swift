import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Vendor RMA turnaround and vendor SLA compliance (docs/metrics.md, `rma`).
extension ReportStore {
    func vendorRMAs(_ query: Query, scope: PGQuery, on connection: PGConnection) async throws -> [JSONObject] {
        let now = min(Date(), query.to)
        let rmas: PGQuery = """
        SELECT \(query.grouping.expression) AS grouping, a.created_at,
            CASE WHEN a.delivered_at <= \(now) THEN a.delivered_at END AS delivered_at,
            vc.replacement_business_hours::float8 AS hours, vd.business_hours::text AS business_hours, vd.time_zone
        FROM rma a JOIN vendor vd ON vd.id = a.vendor_id LEFT JOIN vendor_contract vc ON vc.id = a.vendor_contract_id
        JOIN unit u ON u.id = a.unit_id JOIN site s ON s.id = u.site_id JOIN customer c ON c.id = s.customer_id
        LEFT JOIN department d ON d.id = u.department_id JOIN equipment_model m ON m.id = u.equipment_model_id
        WHERE a.created_at >= \(query.from) AND a.created_at < \(query.to) AND a.status <> 'rejected' AND
        """ + " " + scope
        var rows: [String: JSONObject] = [:]
        for row in try await connection.query("WITH rmas AS (" + rmas + """
            ), turnaround AS (SELECT grouping, extract(epoch FROM delivered_at - created_at) / 3600 AS hours FROM rmas)
            SELECT grouping, jsonb_build_object('group', grouping, 'rmas', count(*), 'delivered', count(hours),
                'turnaround_mean_hours', round(avg(hours)::numeric, 1),
                'turnaround_median_hours', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY hours))::numeric, 1),
                'turnaround_p90_hours', round((percentile_cont(0.9) WITHIN GROUP (ORDER BY hours))::numeric, 1))::text
            FROM turnaround GROUP BY grouping
            """) {
            let (group, json) = try row.decode((String, String).self)
            if case .object(let object)? = JSONValue(parsing: json) { rows[group] = object }
        }
        var calendars: [String: CoverageCalendar] = [:]
        var tallies: [String: (met: Int, breached: Int, pending: Int)] = [:]
        for row in try await connection.query("SELECT grouping, created_at, delivered_at, hours, business_hours, time_zone FROM (" + rmas + ") rmas") {
            let (group, requested, delivered, hours, businessHours, timeZone) = try row.decode((String, Date, Date?, Double?, String, String).self)
            var tally = tallies[group] ?? (0, 0, 0)
            defer { tallies[group] = tally }
            let key = timeZone + "\u{0}" + businessHours
            guard let hours, let calendar = calendars[key] ?? JSONValue(parsing: businessHours).flatMap({
                CoverageCalendar(businessHours: $0, timeZoneIdentifier: timeZone)
            }) else { continue }
            calendars[key] = calendar
            // The same due time as the request's clocks show (ServiceClocks): replacement hours in the vendor's calendar.
            let due = calendar.due(after: requested, coveredMinutes: Int((hours * 60).rounded()))
            if let delivered, delivered <= due { tally.met += 1 } else if (delivered ?? now) > due { tally.breached += 1 } else { tally.pending += 1 }
        }
        return rows.keys.sorted().map { group in
            let tally = tallies[group] ?? (0, 0, 0)
            var row = rows[group] ?? [:]
            row["sla_met"] = .number(Double(tally.met))
            row["sla_breached"] = .number(Double(tally.breached))
            row["sla_pending"] = .number(Double(tally.pending))
            row["sla_compliance_pct"] = tally.met + tally.breached == 0 ? .null
                : .number((1000 * Double(tally.met) / Double(tally.met + tally.breached)).rounded() / 10)
            return row
        }
    }
}
