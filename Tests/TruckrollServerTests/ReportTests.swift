import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// Reports against a hand-computed history (definitions in docs/metrics.md).
@Suite struct ReportTests {
    /// Three calls in November 2026 (times UTC):
    /// 1. unit A, corrective, reported 2 Nov 08:00, technician on site 10:00, restored 12:00 (4 h down at 180/h);
    ///    one visit, fixed.
    /// 2. unit A, corrective callback of 1, reported 4 Nov 08:00, on site 09:00, restored 14:00 (6 h down);
    ///    first visit incomplete (needs part), second fixed; 2 parts at 120.50.
    /// 3. unit B, preventive, unit still working, reported 3 Nov 08:00, resolved remotely by tier 1 30 minutes later.
    static func history(_ http: TestHTTP, _ fixture: RegistryFixture, _ pool: PGPool) async throws {
        func call(_ body: [String: any Sendable]) async throws -> Int {
            let reply = try await http.send("POST", "/v1/service-requests", json: body)
            return try #require(reply.object["id"] as? Int, "\(reply.text)")
        }
        let first = try await call(["unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Jam",
                                    "reported_at": "2026-11-02T08:00:00Z"])
        try await pool.query("""
            UPDATE service_request SET status = 'resolved', resolution_code = 'FIXED', resolution_notes = 'ok',
                first_on_site_at = '2026-11-02T10:00:00Z', restored_at = '2026-11-02T12:00:00Z' WHERE id = \(first)
            """)
        let second = try await call(["unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Jam again",
                                     "reported_at": "2026-11-04T08:00:00Z"])
        try await pool.query("""
            UPDATE service_request SET status = 'resolved', resolution_code = 'FIXED', resolution_notes = 'ok',
                first_on_site_at = '2026-11-04T09:00:00Z', restored_at = '2026-11-04T14:00:00Z' WHERE id = \(second)
            """)
        try await pool.query("""
            INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes, status, outcome, incomplete_code, arrived_at) VALUES
                (\(first), \(fixture["technicianA"]), '2026-11-02T10:00:00Z', 120, 'completed', 'fixed', NULL, '2026-11-02T10:00:00Z'),
                (\(second), \(fixture["technicianA"]), '2026-11-04T09:00:00Z', 60, 'incomplete', 'incomplete', 'needs_part', '2026-11-04T09:00:00Z'),
                (\(second), \(fixture["technicianA"]), '2026-11-04T13:00:00Z', 60, 'completed', 'fixed', NULL, '2026-11-04T13:00:00Z')
            """)
        try await pool.query("""
            INSERT INTO visit_part (visit_id, part_id, quantity, unit_cost)
            SELECT id, \(fixture["part"]), 2, 120.50 FROM visit WHERE service_request_id = \(second) AND status = 'completed'
            """)
        let third = try await call(["unit_id": fixture["unitB"], "channel": "portal", "call_type": "preventive", "symptom": "PM",
                                    "unit_down": false, "reported_at": "2026-11-03T08:00:00Z"])
        let thirdPath = "/v1/service-requests/\(third)/transitions"
        _ = try await http.send("POST", thirdPath, json: ["to": "triage"], headers: ["If-Match": "\"v1\""])
        _ = try await http.send("POST", thirdPath, json: ["to": "resolved_remotely", "resolution_code": "PORTAL", "resolution_notes": "Booked"],
                                headers: ["If-Match": "\"v2\""])
        try await pool.query("UPDATE service_request SET restored_at = '2026-11-03T08:30:00Z' WHERE id = \(third)")
    }

    func report(_ http: TestHTTP, _ name: String, _ extra: String = "") async throws -> [[String: Any]] {
        let reply = try await http.send("GET", "/v1/reports/\(name)?from=2026-11-01&to=2026-11-30" + extra)
        #expect(reply.status == 200, "\(reply.text)")
        return (reply.object["rows"] as? [[String: Any]]) ?? []
    }

    @Test func figuresMatchTheHandComputedHistory() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                // The fixture's own calls were reported now (30 November 2026): outside the period.
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                try await Self.history(http, fixture, pool)
                let manager = http.with(token: fixture.tokens["manager"])

                let downtime = try await report(manager, "downtime")
                #expect(downtime.count == 1)
                #expect(downtime[0]["calls"] as? Int == 2 && downtime[0]["downtime_hours"] as? Double == 10)
                #expect(downtime[0]["downtime_cost"] as? Double == 1800)

                let times = try await report(manager, "times")
                #expect(times[0]["respond_mean_minutes"] as? Double == 90 && times[0]["respond_median_minutes"] as? Double == 90)
                #expect(times[0]["respond_p90_minutes"] as? Double == 114)
                #expect(times[0]["restore_mean_minutes"] as? Double == 210 && times[0]["restore_median_minutes"] as? Double == 240)
                #expect(times[0]["restore_p90_minutes"] as? Double == 336)

                let dealer = try #require(try await report(manager, "dealer").first)
                #expect(dealer["gross_calls"] as? Int == 3 && dealer["net_calls"] as? Int == 2 && dealer["corrective_calls"] as? Int == 2)
                #expect(dealer["callback_rate_pct"] as? Double == 50 && dealer["hold_for_parts_rate_pct"] as? Double == 50)
                #expect(dealer["first_call_effectiveness_pct"] as? Int == 0)
                #expect(dealer["first_time_fix_pct"] as? Double == 50 && dealer["incomplete_visit_rate_pct"] as? Double == 33.3)
                #expect(dealer["parts_cost_per_call"] as? Double == 80.33)

                let calls = try await report(manager, "calls", "&by=call_type")
                let preventive = try #require(calls.first { $0["group"] as? String == "preventive" })
                #expect(preventive["first_contact_resolution_pct"] as? Double == 100 && preventive["calls"] as? Int == 1)
                let corrective = try #require(calls.first { $0["group"] as? String == "corrective" })
                #expect(corrective["first_contact_resolution_pct"] as? Int == 0 && corrective["calls"] as? Int == 2)

                // SLA (contract SC-1, P3 for unit A: response 960, restore 2,400 coverage minutes): calls 1 and 2 met
                // both; unit B has no contract. A call held for parts long enough to breach is the parts' breach.
                let late = try await http.send("POST", "/v1/service-requests", json: [
                    "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Dead",
                    "reported_at": "2026-11-09T08:00:00Z"])
                let lateID = try #require(late.object["id"] as? Int)
                try await pool.query("""
                    UPDATE service_request SET status = 'resolved', resolution_code = 'FIXED', resolution_notes = 'ok',
                        first_on_site_at = '2026-11-09T09:00:00Z', restored_at = '2026-11-20T12:00:00Z' WHERE id = \(lateID)
                    """)
                try await pool.query("""
                    INSERT INTO event (actor, entity, entity_id, kind, from_status, to_status, data, at) VALUES
                        ('test', 'service_request', \(lateID), 'status_changed', 'in_progress', 'on_hold', '{"hold_code": "waiting_for_parts"}', '2026-11-09T10:00:00Z'),
                        ('test', 'service_request', \(lateID), 'status_changed', 'on_hold', 'in_progress', NULL, '2026-11-19T10:00:00Z')
                    """)
                let sla = try #require(try await report(manager, "sla").first)
                #expect(sla["calls"] as? Int == 3 && sla["response_met"] as? Int == 3 && sla["response_compliance_pct"] as? Double == 100)
                #expect(sla["restore_met"] as? Int == 2 && sla["restore_breached"] as? Int == 1)
                #expect(sla["restore_compliance_pct"] as? Double == 66.7 && sla["breaches_waiting_for_parts"] as? Int == 1)
                #expect(sla["breaches_own_dispatch"] as? Int == 0)

                let byCustomer = try await report(manager, "downtime", "&by=model&customer=\(fixture["customer"])")
                #expect(byCustomer.count == 1 && byCustomer[0]["group"] as? String == "Canon Model C5550")
                let csv = try await manager.send("GET", "/v1/reports/dealer?from=2026-11-01&to=2026-11-30&format=csv")
                #expect(csv.text.hasPrefix("group,callback_rate_pct,") && csv.text.contains("\nall,66.7,"), "\(csv.text)")

                let bad = try await manager.send("GET", "/v1/reports/dealer?from=2026-11-01&by=colour")
                #expect(bad.status == 400 && Set(bad.fieldsAtFault) == ["by", "to"])
                #expect(try await http.with(token: fixture.tokens["techA"]).send("GET", "/v1/reports/dealer?from=2026-11-01&to=2026-11-30").status == 403)
            }
        }
    }
}
