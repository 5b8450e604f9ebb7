import Foundation
import LibPQ
import Testing
import TruckrollServer
import TruckrollDomain
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

                // Charts: bars of the headline figure per group (SN-A: 4 + 6 + 268 hours), or a line per group across the days.
                let bars = try await manager.send("GET", "/v1/reports/downtime?from=2026-11-01&to=2026-11-30&by=unit",
                                                  headers: ["Accept": "image/svg+xml"])
                #expect(bars.status == 200 && bars.headers["content-type"] == "image/svg+xml")
                #expect(bars.text.contains("<svg") && bars.text.contains("data-value=\"278\"") && bars.text.contains("SN-A"))
                // Per day: 4 h down on 2 November, none on the 3rd, 6 h on the 4th.
                let trend = try await manager.send("GET", "/v1/reports/downtime?from=2026-11-02&to=2026-11-05&format=svg&per=day")
                #expect(trend.status == 200 && trend.text.contains("<polyline") && trend.text.contains("2026-11-04"), "\(trend.text.prefix(300))")
                #expect(trend.text.contains("all, 2026-11-02: 4<") && trend.text.contains("all, 2026-11-04: 6<"))
                let notChart = try await manager.send("GET", "/v1/reports/sla?from=2026-11-02&to=2026-11-16&per=week")
                #expect(notChart.fieldsAtFault == ["per"])
                let bad = try await manager.send("GET", "/v1/reports/dealer?from=2026-11-01&by=colour")
                #expect(bad.status == 400 && Set(bad.fieldsAtFault) == ["by", "to"])
                #expect(try await http.with(token: fixture.tokens["techA"]).send("GET", "/v1/reports/dealer?from=2026-11-01&to=2026-11-30").status == 403)
            }
        }
    }

    /// The `sla` report counts restored calls from stored outcomes when they are current, and agrees with the direct
    /// computation whether the summaries are fresh, missing, or made stale by a reopened call, a contract change or
    /// a period that ends before a restore.
    @Test func storedSLAOutcomesAgreeWithTheDirectComputation() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                try await Self.history(http, fixture, pool)
                // A call held 10 days for parts (a parts breach) and a call never on site, restored 4 days late (own dispatch).
                let parts = try await Self.call(http, pool, unit: fixture["unitA"], at: "2026-11-09T08:00:00Z", restored: "2026-11-20T12:00:00Z")
                try await pool.query("""
                    INSERT INTO event (actor, entity, entity_id, kind, from_status, to_status, data, at) VALUES
                        ('test', 'service_request', \(parts), 'status_changed', 'in_progress', 'on_hold', '{"hold_code": "waiting_for_parts"}', '2026-11-09T10:00:00Z'),
                        ('test', 'service_request', \(parts), 'status_changed', 'on_hold', 'in_progress', NULL, '2026-11-19T10:00:00Z')
                    """)
                let slow = try await Self.call(http, pool, unit: fixture["unitA"], at: "2026-11-10T08:00:00Z", restored: "2026-11-19T08:00:00Z")
                _ = try await Self.call(http, pool, unit: fixture["unitA"], at: "2026-11-25T08:00:00Z", restored: nil)

                let reports = ReportStore(pool: pool)
                let outcomes = SLAOutcomeStore(pool: pool)
                let november = ReportStore.Query(from: Timestamp.parse("2026-11-01T00:00:00Z")!, to: Timestamp.parse("2026-11-30T00:00:00Z")!,
                                                 grouping: .none, filters: [:])
                /// The report from the stored outcomes, after checking it against the direct computation by three groupings.
                func checked(_ comment: Comment, _ query: ReportStore.Query = november) async throws -> JSONObject {
                    for grouping in [ReportStore.Grouping.none, .customer, .priority] {
                        var summarised = query, direct = query
                        (summarised.grouping, direct.grouping, direct.usesStoredSummaries) = (grouping, grouping, false)
                        let expected = try await reports.run(.sla, direct, as: .operator)
                        #expect(try await reports.run(.sla, summarised, as: .operator) == expected, comment)
                    }
                    return try #require(try await reports.run(.sla, query, as: .operator).first)
                }
                let before = try await checked("no outcome stored yet")
                #expect(before["calls"] == 5 && before["restore_met"] == 2 && before["restore_breached"] == 2 && before["restore_running"] == 1)
                #expect(before["breaches_waiting_for_parts"] == 1 && before["breaches_own_dispatch"] == 1)

                // The four restored calls under contract are stored; the one still open and the one without a contract are not.
                #expect(try await outcomes.refresh() == 4)
                #expect(try await outcomes.refresh() == 0)
                let stored = try await pool.query("SELECT service_request_id, restore, breach_cause FROM sla_outcome ORDER BY 1")
                    .map { try $0.decode((Int, String?, String?).self) }
                #expect(stored.count == 4)
                #expect(stored.first { $0.0 == parts }.map { [$0.1, $0.2] } == ["breached", "waiting_for_parts"])
                #expect(stored.first { $0.0 == slow }.map { [$0.1, $0.2] } == ["breached", "own_dispatch"])
                #expect(try await checked("fresh outcomes") == before)

                // The stored outcome is what the report counts: a doctored row shows through until the call changes.
                try await pool.query("UPDATE sla_outcome SET restore = 'met', breach_cause = NULL WHERE service_request_id = \(slow)")
                #expect(try await reports.run(.sla, november, as: .operator).first?["restore_met"] == 3)
                // Reopened and restored again later: its version moved on, so it is computed directly until refreshed.
                try await pool.query("UPDATE service_request SET restored_at = '2026-11-19T09:00:00Z' WHERE id = \(slow)")
                #expect(try await checked("a reopened call") == before)
                #expect(try await outcomes.refresh() == 1)
                #expect(try await checked("after refreshing the reopened call") == before)

                // Stricter targets (the contract's version moves on): every outcome is stale, the figures change at once.
                try await pool.query("""
                    UPDATE service_contract SET targets = '{"P3": {"response_minutes": 30, "restore_minutes": 60}}' WHERE id = \(fixture["contract"])
                    """)
                let strict = try await checked("a contract changed")
                #expect(strict["response_breached"] == 5 && strict["restore_breached"] == 5)
                #expect(try await outcomes.refresh() == 4)
                #expect(try await checked("after refreshing the contract's calls") == strict)

                // A period ending before the slow call's restore evaluates its clocks at the period's end, not from its outcome.
                var early = november
                early.to = Timestamp.parse("2026-11-15T00:00:00Z")!
                let running = try await checked("a period ending before a restore", early)
                #expect(running["restore_breached"] == 4 && running["calls"] == 4)

                let refreshed = try await ServiceCommandLineTests.truckroll(["admin", "refresh-reports", "--database-url", TestDatabase.url(of: database)])
                #expect(refreshed.status == 0 && refreshed.output.contains("refreshed 0 SLA outcomes"), "\(refreshed.output)")
            }
        }
    }

    func report(_ http: TestHTTP, _ name: String, from: String, to: String, _ extra: String = "") async throws -> [[String: Any]] {
        let reply = try await http.send("GET", "/v1/reports/\(name)?from=\(from)&to=\(to)" + extra)
        #expect(reply.status == 200, "\(reply.text)")
        return (reply.object["rows"] as? [[String: Any]]) ?? []
    }

    /// A corrective call on `unit`, reported at `at`, restored at `restored` (directly in the table: the API would stamp now).
    static func call(_ http: TestHTTP, _ pool: PGPool, unit: Int, at: String, restored: String?, type: String = "corrective",
                     down: Bool = true) async throws -> Int {
        let reply = try await http.send("POST", "/v1/service-requests", json: [
            "unit_id": unit, "channel": "phone", "call_type": type, "symptom": "Fault", "unit_down": down, "reported_at": at])
        let id = try #require(reply.object["id"] as? Int, "\(reply.text)")
        if let restored {
            try await pool.query("""
                UPDATE service_request SET status = 'resolved', resolution_code = 'FIXED', resolution_notes = 'ok',
                    restored_at = \(Timestamp.parse(restored)) WHERE id = \(id)
                """)
        }
        return id
    }

    /// Unit A is under contract SC-1 (Mon–Fri 08:00–17:00 Paris, 07:00–16:00 UTC in November). From Monday 2 to
    /// Saturday 7 November 2026 (UTC) that is 5 × 9 = 45 covered hours. Outages:
    /// - Mon 14:00 → Tue 09:00 UTC, across midnight: covered Mon 14:00–16:00 and Tue 07:00–09:00, 4 h;
    /// - Wed 07:00 → 11:00 UTC, a call reopened after a first restore at 08:00 (the final restore counts), 4 h;
    /// - Wed 09:00 → 10:00 UTC, a second call inside that outage: not counted twice;
    /// - Thu, a call for a unit that still works: not downtime.
    /// Uptime = (45 − 8) / 45 = 82.2 %. Unit B has no contract: not in the report.
    @Test func uptimeWithinCoverageHours() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                let unit = fixture["unitA"]
                _ = try await Self.call(http, pool, unit: unit, at: "2026-11-02T14:00:00Z", restored: "2026-11-03T09:00:00Z")
                let reopened = try await Self.call(http, pool, unit: unit, at: "2026-11-04T07:00:00Z", restored: "2026-11-04T08:00:00Z")
                let reopen = try await http.send("POST", "/v1/service-requests/\(reopened)/transitions", json: ["to": "dispatch_needed"],
                                                 headers: ["If-Match": "\"v2\""])
                #expect(reopen.status == 200, "\(reopen.text)")
                let cleared = try await pool.query("SELECT restored_at IS NULL FROM service_request WHERE id = \(reopened)").first?.decode(Bool.self)
                #expect(cleared == true)
                try await pool.query("""
                    UPDATE service_request SET status = 'resolved', resolution_code = 'FIXED', resolution_notes = 'ok',
                        restored_at = '2026-11-04T11:00:00Z' WHERE id = \(reopened)
                    """)
                _ = try await Self.call(http, pool, unit: unit, at: "2026-11-04T09:00:00Z", restored: "2026-11-04T10:00:00Z")
                _ = try await Self.call(http, pool, unit: unit, at: "2026-11-05T09:00:00Z", restored: "2026-11-05T12:00:00Z", down: false)

                let manager = http.with(token: fixture.tokens["manager"])
                let rows = try await report(manager, "uptime", from: "2026-11-02", to: "2026-11-07", "&by=unit")
                #expect(rows.count == 1 && rows.first?["group"] as? String == "SN-A")
                #expect(rows.first?["covered_hours"] as? Int == 45 && rows.first?["down_covered_hours"] as? Int == 8)
                #expect(rows.first?["uptime_pct"] as? Double == 82.2)
                let wrongGrouping = try await manager.send("GET", "/v1/reports/uptime?from=2026-11-02&to=2026-11-07&by=priority")
                #expect(wrongGrouping.status == 400 || wrongGrouping.status == 422)
                #expect(wrongGrouping.fieldsAtFault == ["by"])
            }
        }
    }

    /// Model C5550 counts pages (PM every 30 days or 100,000 pages); November 1–30 (29 days). Accepted readings:
    /// - unit A: 120,000 → 220,000 (100,000 copies), 4 corrective calls: MCBC 25,000;
    /// - unit C: 50,000 → 450,000 (400,000 copies; a held reading of 900,000 is ignored), 1 corrective call and a
    ///   preventive one: MCBC 400,000;
    /// - unit D, installed 15 November (Paris): 10,000 → 110,000, no call: no MCBC of its own;
    /// - unit E, installed 1 January, no readings.
    /// Fleet MCBC of the model = 600,000 / 5 = 120,000; unit A is below half of it.
    /// PM due: A max(29/30, 1.0) = 1; C max(0.967, 4.0) = 4; D max(15.04/30, 1.0) = 1; E 29/30 = 0.967: 6.967 → 7.0.
    /// PM done: one completed preventive visit on A (10 Nov) and one on C (20 Nov); a cancelled one does not count:
    /// 2 / 6.967 = 28.7 %. Overdue: E only (no PM in the 30 days before the end, installed long before).
    @Test func meterAndPreventiveMaintenanceFigures() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                try await pool.query("""
                    UPDATE equipment_model SET page_counting = true, pm_interval_days = 30, pm_interval_pages = 100000 WHERE id = \(fixture["model"])
                    """)
                var units = ["A": fixture["unitA"]]
                for (name, installed) in [("C", "2025-06-01"), ("D", "2026-11-15"), ("E", "2026-01-01")] {
                    units[name] = try await pool.query("""
                        INSERT INTO unit (serial_number, equipment_model_id, site_id, install_date)
                        VALUES (\("SN-" + name), \(fixture["model"]), \(fixture["site"]), \(installed)::date) RETURNING id
                        """).first?.decode(Int.self)
                }
                let (a, c, d) = (units["A"] ?? 0, units["C"] ?? 0, units["D"] ?? 0)
                try await pool.query("""
                    INSERT INTO meter_reading (unit_id, read_at, pages, source, status) VALUES
                        (\(a), '2026-11-29T09:00:00Z', 220000, 'device_agent', 'accepted'),
                        (\(c), '2026-11-02T09:00:00Z', 50000, 'device_agent', 'accepted'),
                        (\(c), '2026-11-20T09:00:00Z', 900000, 'device_agent', 'held'),
                        (\(c), '2026-11-28T09:00:00Z', 450000, 'device_agent', 'accepted'),
                        (\(d), '2026-11-16T09:00:00Z', 10000, 'device_agent', 'accepted'),
                        (\(d), '2026-11-28T09:00:00Z', 110000, 'device_agent', 'accepted')
                    """)
                for day in ["03", "09", "16", "23"] {
                    _ = try await Self.call(http, pool, unit: a, at: "2026-11-\(day)T08:00:00Z", restored: "2026-11-\(day)T12:00:00Z")
                }
                _ = try await Self.call(http, pool, unit: c, at: "2026-11-05T08:00:00Z", restored: "2026-11-05T12:00:00Z")
                for (unit, day, status) in [(a, "10", "completed"), (c, "20", "completed"), (c, "24", "cancelled")] {
                    let pm = try await Self.call(http, pool, unit: unit, at: "2026-11-\(day)T07:00:00Z", restored: nil, type: "preventive", down: false)
                    try await pool.query("""
                        INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes, status, arrived_at, departed_at)
                        VALUES (\(pm), \(fixture["technicianA"]), \(Timestamp.parse("2026-11-\(day)T08:00:00Z")), 60, \(status),
                                \(Timestamp.parse("2026-11-\(day)T08:00:00Z")), \(Timestamp.parse("2026-11-\(day)T09:00:00Z")))
                        """)
                }

                let manager = http.with(token: fixture.tokens["manager"])
                let perUnit = try await report(manager, "mcbc", from: "2026-11-01", to: "2026-11-30", "&by=unit")
                let unitA = try #require(perUnit.first { $0["group"] as? String == "SN-A" })
                #expect(unitA["copies"] as? Int == 100_000 && unitA["corrective_calls"] as? Int == 4 && unitA["mcbc"] as? Int == 25_000)
                #expect(unitA["model_mcbc"] as? Int == 120_000 && unitA["units_far_below_model"] as? Int == 1)
                let unitC = try #require(perUnit.first { $0["group"] as? String == "SN-C" })
                #expect(unitC["mcbc"] as? Int == 400_000 && unitC["units_far_below_model"] as? Int == 0)
                let unitD = try #require(perUnit.first { $0["group"] as? String == "SN-D" })
                #expect(unitD["copies"] as? Int == 100_000 && unitD["mcbc"] is NSNull)
                #expect(perUnit.first { $0["group"] as? String == "SN-B" } == nil)
                let perModel = try #require(try await report(manager, "mcbc", from: "2026-11-01", to: "2026-11-30", "&by=model").first)
                #expect(perModel["units"] as? Int == 4 && perModel["units_with_readings"] as? Int == 3 && perModel["copies"] as? Int == 600_000)
                #expect(perModel["mcbc"] as? Int == 120_000 && perModel["units_far_below_model"] as? Int == 1)

                let pm = try #require(try await report(manager, "pm", from: "2026-11-01", to: "2026-11-30").first)
                #expect(pm["units"] as? Int == 4 && pm["pm_due"] as? Int == 7 && pm["pm_done"] as? Int == 2)
                #expect(pm["pm_done_pct"] as? Double == 28.7 && pm["overdue_units"] as? Int == 1)
            }
        }
    }

    /// Technician A works Mon–Fri 08:00–17:00 Paris (07:00–16:00 UTC); on Tuesday 3 November an exception makes it
    /// 10:00–14:00 Paris (09:00–13:00 UTC). Monday 2 and Tuesday 3: 9 + 4 = 13 shift hours on 2 working days. Visits:
    /// - Mon: en route 07:30, on site 08:00–10:00 UTC (0.5 h travel, 2 h on site, all in the shift), 1 × FUSER-1 at 120.50;
    /// - Mon–Tue across midnight: en route 22:00, on site 22:30–00:30 UTC (0.5 h + 2 h, all overtime);
    /// - Tue: on site 12:00–14:00 UTC (2 h, 1 h in the shift), 2 × FUSER-1 at 100;
    /// - a cancelled visit: nothing.
    /// Busy in the shift 3.5 h: idle 9.5 h, utilisation 26.9 %, overtime 7 − 3.5 = 3.5 h, 3 visits: 1.5 a day.
    /// Technician B: 18 shift hours, nothing done. Parts: 3 used for 320.50 on 2 calls, 160.25 a call.
    @Test func utilisationAndParts() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                try await pool.query("""
                    UPDATE technician SET calendar = jsonb_set(calendar, '{exceptions}',
                        '[{"date": "2026-11-03", "available": true, "start": "10:00", "end": "14:00"}]') WHERE id = \(fixture["technicianA"])
                    """)
                let visits: [(String, String?, String, String, String)] = [
                    ("2026-11-02T08:00:00Z", "2026-11-02T07:30:00Z", "2026-11-02T08:00:00Z", "2026-11-02T10:00:00Z", "completed"),
                    ("2026-11-02T22:30:00Z", "2026-11-02T22:00:00Z", "2026-11-02T22:30:00Z", "2026-11-03T00:30:00Z", "completed"),
                    ("2026-11-03T12:00:00Z", nil, "2026-11-03T12:00:00Z", "2026-11-03T14:00:00Z", "completed"),
                    ("2026-11-03T15:00:00Z", nil, "2026-11-03T15:00:00Z", "2026-11-03T16:00:00Z", "cancelled"),
                ]
                var visitIDs: [Int] = []
                for (planned, enRoute, arrived, departed, status) in visits {
                    let call = try await Self.call(http, pool, unit: fixture["unitA"], at: planned, restored: departed)
                    visitIDs.append(try #require(try await pool.query("""
                        INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes, status, en_route_at, arrived_at, departed_at)
                        VALUES (\(call), \(fixture["technicianA"]), \(Timestamp.parse(planned)), 60, \(status), \(enRoute.flatMap(Timestamp.parse)),
                                \(Timestamp.parse(arrived)), \(Timestamp.parse(departed))) RETURNING id
                        """).first?.decode(Int.self)))
                }
                try await pool.query("""
                    INSERT INTO visit_part (visit_id, part_id, quantity, unit_cost, used_at) VALUES
                        (\(visitIDs[0]), \(fixture["part"]), 1, 120.50, '2026-11-02T09:00:00Z'),
                        (\(visitIDs[2]), \(fixture["part"]), 2, 100, '2026-11-03T13:00:00Z')
                    """)

                let manager = http.with(token: fixture.tokens["manager"])
                let rows = try await report(manager, "technicians", from: "2026-11-02", to: "2026-11-04", "&by=technician")
                let a = try #require(rows.first { $0["group"] as? String == "T-A Tech T-A" })
                #expect(a["shift_hours"] as? Int == 13 && a["working_days"] as? Int == 2)
                #expect(a["on_site_hours"] as? Int == 6 && a["travel_hours"] as? Int == 1 && a["idle_hours"] as? Double == 9.5)
                #expect(a["utilisation_pct"] as? Double == 26.9 && a["overtime_hours"] as? Double == 3.5)
                #expect(a["visits"] as? Int == 3 && a["visits_per_day"] as? Double == 1.5)
                let b = try #require(rows.first { $0["group"] as? String == "T-B Tech T-B" })
                #expect(b["shift_hours"] as? Int == 18 && b["idle_hours"] as? Int == 18 && b["utilisation_pct"] as? Int == 0)
                let onlyA = try await report(manager, "technicians", from: "2026-11-02", to: "2026-11-04", "&technician=\(fixture["technicianA"])")
                #expect(onlyA.count == 1 && onlyA.first?["visits"] as? Int == 3)

                let parts = try #require(try await report(manager, "parts", from: "2026-11-01", to: "2026-11-30", "&by=part").first)
                #expect(parts["group"] as? String == "FUSER-1 Fuser unit" && parts["quantity"] as? Int == 3 && parts["visits"] as? Int == 2)
                #expect(parts["parts_cost"] as? Double == 320.5 && parts["cost_per_call"] as? Double == 160.25)
                let byTechnician = try await report(manager, "parts", from: "2026-11-01", to: "2026-11-30", "&by=technician")
                #expect(byTechnician.map { $0["group"] as? String } == ["T-A Tech T-A"])
            }
        }
    }

    /// Vendor CANON (Mon–Fri 09:00–17:00 Paris, 08:00–16:00 UTC) commits to a replacement within 8 business hours:
    /// - RMA 1 requested Mon 2 Nov 08:00 UTC, due 16:00, delivered 15:00: 7 h, met;
    /// - RMA 2 requested Tue 3 Nov 15:00 UTC (1 business hour left that day), due Wed 15:00, delivered Thu 09:00:
    ///   42 h, breached (the late vendor part);
    /// - a rejected RMA: not counted. Vendor NETAPP: one RMA in 10 h, no commitment.
    /// CANON: mean 24.5 h, median 24.5, 90th percentile 7 + 0.9 × 35 = 38.5; SLA 1 of 2, 50 %.
    /// The call that waited for RMA 2 breached its restore target because of the vendor.
    @Test func vendorRMAsAndTheirCoordinators() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                try await pool.query("UPDATE vendor_contract SET replacement_business_hours = 8 WHERE id = \(fixture["vendorContractA"])")
                let late = try await Self.call(http, pool, unit: fixture["unitA"], at: "2026-11-03T15:00:00Z", restored: "2026-11-12T12:00:00Z")
                try await pool.query("""
                    INSERT INTO event (actor, entity, entity_id, kind, from_status, to_status, data, at) VALUES
                        ('test', 'service_request', \(late), 'status_changed', 'in_progress', 'on_hold', '{"hold_code": "waiting_for_vendor"}', '2026-11-03T16:00:00Z'),
                        ('test', 'service_request', \(late), 'status_changed', 'on_hold', 'in_progress', NULL, '2026-11-12T09:00:00Z')
                    """)
                let rmas: [(String, Int?, String, String?, String)] = [
                    ("vendorA", fixture["vendorContractA"], "2026-11-02T08:00:00Z", "2026-11-02T15:00:00Z", "delivered"),
                    ("vendorA", fixture["vendorContractA"], "2026-11-03T15:00:00Z", "2026-11-05T09:00:00Z", "delivered"),
                    ("vendorA", fixture["vendorContractA"], "2026-11-06T15:00:00Z", nil, "rejected"),
                    ("vendorB", nil, "2026-11-04T08:00:00Z", "2026-11-04T18:00:00Z", "delivered"),
                ]
                for (vendor, contract, requested, delivered, status) in rmas {
                    try await pool.query("""
                        INSERT INTO rma (vendor_id, vendor_contract_id, unit_id, service_request_id, kind, status, created_at, delivered_at)
                        VALUES (\(fixture[vendor]), \(contract), \(fixture[vendor == "vendorA" ? "unitA" : "unitB"]),
                                \(vendor == "vendorA" ? late : nil), 'field_replaceable', \(status), \(Timestamp.parse(requested)),
                                \(delivered.flatMap(Timestamp.parse)))
                        """)
                }

                let manager = http.with(token: fixture.tokens["manager"])
                let rows = try await report(manager, "rma", from: "2026-11-01", to: "2026-11-30", "&by=vendor")
                let canon = try #require(rows.first { $0["group"] as? String == "Vendor CANON" })
                #expect(canon["rmas"] as? Int == 2 && canon["delivered"] as? Int == 2)
                #expect(canon["turnaround_mean_hours"] as? Double == 24.5 && canon["turnaround_median_hours"] as? Double == 24.5)
                #expect(canon["turnaround_p90_hours"] as? Double == 38.5)
                #expect(canon["sla_met"] as? Int == 1 && canon["sla_breached"] as? Int == 1 && canon["sla_compliance_pct"] as? Int == 50)
                let netapp = try #require(rows.first { $0["group"] as? String == "Vendor NETAPP" })
                #expect(netapp["turnaround_mean_hours"] as? Int == 10 && netapp["sla_compliance_pct"] is NSNull)

                // Restore target 2,400 covered minutes; 3,600 elapsed by the restore; 12,540 minutes waiting for the vendor.
                let sla = try #require(try await report(manager, "sla", from: "2026-11-01", to: "2026-11-30").first)
                #expect(sla["restore_breached"] as? Int == 1 && sla["breaches_waiting_for_vendor"] as? Int == 1)

                let coordinator = http.with(token: fixture.tokens["vendorA"])
                let own = try await report(coordinator, "rma", from: "2026-11-01", to: "2026-11-30", "&by=vendor")
                #expect(own.map { $0["group"] as? String } == ["Vendor CANON"])
                let other = try await coordinator.send("GET", "/v1/reports/rma?from=2026-11-01&to=2026-11-30&vendor=\(fixture["vendorB"])")
                #expect(other.status == 403)
                #expect(try await coordinator.send("GET", "/v1/reports/downtime?from=2026-11-01&to=2026-11-30").status == 403)
                #expect(try await http.with(token: fixture.tokens["techA"]).send("GET", "/v1/reports/rma?from=2026-11-01&to=2026-11-30").status == 403)
            }
        }
    }

    /// The command line: a chart from `truckroll report`, `--per` only with one, and `truckroll bench reports` timing
    /// every report on a history it generates.
    @Test func commandLine() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                try await Self.history(TestHTTP(base: base, token: fixture.tokens["dispatcher"]), fixture, pool)
                let manager = fixture.tokens["manager"]
                let chart = try await ServiceCommandLineTests.truckroll(
                    ["report", "downtime", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "unit", "--format", "svg"], server: base, token: manager)
                #expect(chart.status == 0 && chart.output.hasPrefix("<?xml") && chart.output.contains("data-value=\"10\""), "\(chart.output.prefix(300))")
                let misuse = try await ServiceCommandLineTests.truckroll(
                    ["report", "sla", "--from", "2026-11-01", "--to", "2026-11-30", "--per", "week"], server: base, token: manager)
                #expect(misuse.status != 0 && misuse.output.contains("--per is for --format svg"), "\(misuse.output)")
            }
        }
        try await TestDatabase.withDatabase { database in
            let bench = try await ServiceCommandLineTests.truckroll(
                ["bench", "reports", "--database-url", TestDatabase.url(of: database), "--generate-events", "2000", "--runs", "1"])
            #expect(bench.status == 0, "\(bench.output)")
            for name in ReportStore.Name.allCases {
                #expect(bench.output.contains("\n\(name.rawValue) "), "no line for \(name.rawValue) in \(bench.output)")
            }
            #expect(bench.output.contains("report bench: 2040 events"), "\(bench.output)")
            #expect(bench.output.contains("sla by customer: stored summaries agree with the direct computation"), "\(bench.output)")
        }
    }
}
