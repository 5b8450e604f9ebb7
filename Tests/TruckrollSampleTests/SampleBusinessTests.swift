import Foundation
import LibPQ
import Testing
import TruckrollDomain
import TruckrollSample
import TruckrollStore
import TruckrollTestSupport

/// The generated sample business: it loads into an empty database under every constraint, is the same for the
/// same seed, and its calls, visits, RMAs and event log tell one consistent story.
@Suite struct SampleBusinessTests {
    /// Tuesday 24 November 2026, 10:30 in Lyon: technicians are on their rounds.
    static let now = Date(timeIntervalSince1970: 1_795_512_600)

    static func business(seed: UInt64 = 7, historyDays: Int = 5) -> SampleBusiness {
        SampleBusiness(size: .demo, seed: seed, now: now, historyDays: historyDays)
    }

    /// Runs `body` with a pool on a fresh migrated database.
    static func withPool<Result>(_ body: (PGPool) async throws -> Result) async throws -> Result {
        try await TestDatabase.withDatabase { try await TestDatabase.withPool(on: $0, body) }
    }

    static func count(_ pool: PGPool, _ query: PGQuery) async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }

    @Test func theDemoSizeLoadsAndTheSummaryCountsWhatIsStored() async throws {
        try await Self.withPool { pool in
            let summary = try await Self.business().load(into: pool)
            #expect(summary.customers == 300 && summary.technicians == 40 && summary.openRequests == 250)
            #expect(try await Self.count(pool, "SELECT count(*) FROM customer") == summary.customers)
            #expect(try await Self.count(pool, "SELECT count(*) FROM site") == summary.sites)
            #expect(try await Self.count(pool, "SELECT count(*) FROM unit") == summary.units)
            #expect(try await Self.count(pool, "SELECT count(*) FROM technician") == summary.technicians)
            #expect(try await Self.count(pool, "SELECT count(*) FROM visit") == summary.visits)
            #expect(try await Self.count(pool, "SELECT count(*) FROM event") == summary.events)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request WHERE status NOT IN ('resolved', 'resolved_remotely', 'closed')
                """) == summary.openRequests)
            #expect(try await Self.count(pool, """
                SELECT count(DISTINCT r.id) FROM service_request r JOIN rma a ON a.service_request_id = r.id
                WHERE r.status NOT IN ('resolved', 'resolved_remotely', 'closed') AND a.status IN ('approved', 'shipped')
                """) == summary.waitingOnParts)
            #expect(summary.sites >= 300 && summary.units > 1_500 && summary.pastRequests > 300, "\(summary)")
            #expect((10...25).contains(summary.waitingOnParts), "5 to 8 % of the open calls wait on parts: \(summary.waitingOnParts)")
            #expect(try await Self.count(pool, "SELECT count(*) FROM depot") == 1)
            #expect(try await Self.count(pool, "SELECT count(*) FROM vehicle WHERE technician_id IS NOT NULL") == 40)
            #expect(try await Self.count(pool, "SELECT count(*) FROM app_user WHERE username = ANY(\(summary.usernames))") == 6)
            let p1 = try await Self.count(pool, "SELECT count(*) FROM service_request WHERE priority = 'P1' AND status <> 'closed'")
            #expect(p1 > 0 && p1 < summary.openRequests / 5, "few P1 calls: \(p1)")
            // The identity sequences continue after the sample's ids.
            let next = try await Self.count(pool, "INSERT INTO customer (code, name) VALUES ('NEW', 'New customer') RETURNING id")
            #expect(next == summary.customers + 1)
        }
    }

    @Test func theSameSeedGivesTheSameDataAndAnotherSeedOther() async throws {
        let fingerprint: @Sendable (UInt64) async throws -> String = { seed in
            try await Self.withPool { pool in
                _ = try await Self.business(seed: seed).load(into: pool)
                return try await pool.query("""
                    SELECT concat_ws(' ',
                        (SELECT md5(string_agg(concat_ws(',', id, code, name, contact), '|' ORDER BY id)) FROM customer),
                        (SELECT md5(string_agg(concat_ws(',', id, code, customer_id, latitude, longitude, access_hours), '|' ORDER BY id)) FROM site),
                        (SELECT md5(string_agg(concat_ws(',', id, serial_number, equipment_model_id, site_id, department_id, criticality,
                            downtime_cost_per_hour, install_date), '|' ORDER BY id)) FROM unit),
                        (SELECT md5(string_agg(concat_ws(',', id, code, skills, calendar, home_latitude), '|' ORDER BY id)) FROM technician),
                        (SELECT md5(string_agg(r::text, '|' ORDER BY id)) FROM service_request r),
                        (SELECT md5(string_agg(v::text, '|' ORDER BY id)) FROM visit v),
                        (SELECT md5(string_agg(a::text, '|' ORDER BY id)) FROM rma a),
                        (SELECT md5(string_agg(e::text, '|' ORDER BY id)) FROM event e))
                    """)[0].decode(String.self, at: 0)
            }
        }
        let first = try await fingerprint(7)
        #expect(try await fingerprint(7) == first)
        #expect(try await fingerprint(8) != first)
    }

    @Test func openCallsAgreeWithTheirUnitsAndVisitsDoNotOverlap() async throws {
        try await Self.withPool { pool in
            _ = try await Self.business().load(into: pool)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r JOIN unit u ON u.id = r.unit_id JOIN site s ON s.id = u.site_id
                WHERE r.site_id <> u.site_id OR r.customer_id <> s.customer_id OR r.department_id IS DISTINCT FROM u.department_id
                    OR r.contract_id IS DISTINCT FROM (SELECT l.service_contract_id FROM service_contract_unit l WHERE l.unit_id = u.id)
                """) == 0)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM visit a JOIN visit b ON a.technician_id = b.technician_id AND a.id < b.id
                WHERE tstzrange(a.planned_start, a.planned_end) && tstzrange(b.planned_start, b.planned_end)
                """) == 0)
            #expect(try await Self.count(pool, "SELECT count(*) FROM unit u WHERE (SELECT count(*) FROM service_request r WHERE r.unit_id = u.id "
                                                + "AND r.status NOT IN ('resolved', 'resolved_remotely', 'closed')) > 1") == 0)
            let scheduled = try await Self.count(pool, """
                SELECT count(DISTINCT r.id) FROM service_request r JOIN visit v ON v.service_request_id = r.id
                WHERE r.status = 'scheduled' AND v.status IN ('planned', 'dispatched') AND v.planned_start > \(Self.now)
                """)
            #expect((10...50).contains(scheduled), "about 10 % of the open calls have a visit later today: \(scheduled)")
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r JOIN visit v ON v.service_request_id = r.id
                WHERE r.status = 'in_progress' AND v.status = 'on_site' AND v.arrived_at < \(Self.now)
                """) > 0)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r JOIN rma a ON a.service_request_id = r.id
                WHERE r.status = 'on_hold' AND r.hold_code = 'waiting_for_parts' AND a.eta > \(Self.now)
                """) > 0)
            // Nobody on leave today has a visit today.
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM visit v JOIN technician t ON t.id = v.technician_id
                WHERE t.calendar->'exceptions' @> jsonb_build_array(jsonb_build_object('date', (v.planned_start AT TIME ZONE 'Europe/Paris')::date::text))
                """) == 0)
        }
    }

    @Test func theEventLogTellsTheSameStoryAsTheRows() async throws {
        try await Self.withPool { pool in
            let summary = try await Self.business(historyDays: 10).load(into: pool)
            #expect(try await Self.count(pool, "SELECT count(*) FROM service_request WHERE status = 'closed'") > 500)
            // Every closed call was created and closed in the log, and every row's status is where its log ends.
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r WHERE r.status = 'closed' AND NOT (
                    EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = r.id AND e.kind = 'created')
                    AND EXISTS (SELECT 1 FROM event e WHERE e.entity = 'service_request' AND e.entity_id = r.id AND e.to_status = 'closed'
                                AND e.at = r.closed_at))
                """) == 0)
            for (table, entity) in [("service_request", "service_request"), ("visit", "visit"), ("rma", "rma")] {
                #expect(try await Self.count(pool, """
                    SELECT count(*) FROM \(identifier: table) t WHERE t.status IS DISTINCT FROM (
                        SELECT e.to_status FROM event e WHERE e.entity = \(entity) AND e.entity_id = t.id AND e.to_status IS NOT NULL
                        ORDER BY e.id DESC LIMIT 1)
                    """) == 0, "\(table)")
            }
            // Events follow time, and each transition starts where the previous one ended.
            #expect(try await Self.count(pool, "SELECT count(*) FROM (SELECT at < lag(at) OVER (ORDER BY id) AS back FROM event) e WHERE back") == 0)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM (SELECT from_status, lag(to_status) OVER (PARTITION BY entity, entity_id ORDER BY id) AS previous
                    FROM event WHERE to_status IS NOT NULL) e
                WHERE previous IS NOT NULL AND from_status IS DISTINCT FROM previous
                """) == 0)
            // Restored when resolved, on site when the first visit arrived, every part used logged.
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r WHERE r.restored_at IS DISTINCT FROM (
                    SELECT min(e.at) FROM event e WHERE e.entity = 'service_request' AND e.entity_id = r.id
                        AND e.to_status IN ('resolved', 'resolved_remotely'))
                """) == 0)
            #expect(try await Self.count(pool, """
                SELECT count(*) FROM service_request r WHERE r.first_on_site_at IS DISTINCT FROM (
                    SELECT min(v.arrived_at) FROM visit v WHERE v.service_request_id = r.id)
                """) == 0)
            #expect(try await Self.count(pool, "SELECT count(*) FROM visit_part")
                    == Self.count(pool, "SELECT count(*) FROM event WHERE kind = 'part_used'"))
            #expect(try await Self.count(pool, "SELECT count(*) FROM service_request WHERE callback_of_id IS NOT NULL") > 0)
            #expect(try await Self.count(pool, "SELECT count(*) FROM rma WHERE status = 'closed'") > 0)
            #expect(try await Self.count(pool, "SELECT count(*) FROM visit WHERE incomplete_code = 'needs_part'") > 0)
            #expect(try await Self.count(pool, "SELECT count(*) FROM service_request WHERE status IN ('closed', 'resolved_remotely') "
                                                + "AND resolution_code = 'remote_fix'") > 0)
            #expect(summary.events == (try await Self.count(pool, "SELECT count(*) FROM event")))
        }
    }

    @Test func theReportsFromTheEventLogAgreeWithTheRows() async throws {
        try await Self.withPool { pool in
            _ = try await Self.business(historyDays: 10).load(into: pool)
            let manager = Principal(userID: 4, username: SampleBusiness.Users.manager, role: .manager)
            let period = ReportStore.Query(from: Self.now.addingTimeInterval(-30 * 86_400), to: Self.now, grouping: .none, filters: [:])
            let calls = try #require(try await ReportStore(pool: pool).run(.calls, period, as: manager).first)
            let dealer = try #require(try await ReportStore(pool: pool).run(.dealer, period, as: manager).first)
            func stored(_ query: PGQuery) async throws -> JSONValue { .number(Double(try await Self.count(pool, query))) }
            #expect(calls["calls"] == (try await stored("SELECT count(*) FROM service_request")))
            #expect(calls["resolved_remotely"] == (try await stored("SELECT count(*) FROM service_request WHERE resolution_code = 'remote_fix'")))
            #expect(dealer["callbacks"] == (try await stored("SELECT count(*) FROM service_request WHERE callback_of_id IS NOT NULL")))
            #expect(dealer["corrective_calls"] == (try await stored("SELECT count(*) FROM service_request WHERE call_type = 'corrective'")))
            let holdForParts = try #require(dealer["hold_for_parts_rate_pct"].flatMap { if case .number(let value) = $0 { value } else { nil } })
            #expect((3...20).contains(holdForParts), "a plausible hold-for-parts rate: \(holdForParts) %")
        }
    }

    @Test func registryRowsPassTheAPIsValidation() async throws {
        try await Self.withPool { pool in
            _ = try await Self.business(historyDays: 0).load(into: pool)
            for (resource, view) in [("customers", "api_customers"), ("sites", "api_sites"), ("equipment-models", "api_equipment_models"),
                                     ("technicians", "api_technicians"), ("contracts", "api_contracts"), ("vendors", "api_vendors"),
                                     ("vendor-contracts", "api_vendor_contracts"), ("depots", "api_depots"), ("units", "api_units")] {
                let description = try #require(Registry.resource(named: resource))
                let rows = try await pool.query("""
                    SELECT (to_jsonb(t) - 'id' - 'version' - 'created_at' - 'updated_at' - 'callback_pages')::text
                    FROM \(identifier: view) t ORDER BY id LIMIT 200
                    """)
                for row in rows {
                    guard case .object(let record)? = JSONValue(parsing: try row.decode(String.self, at: 0)) else {
                        Issue.record("\(resource): not an object")
                        continue
                    }
                    let errors = description.validateCreate(record.filter { $0.value != .null })
                    #expect(errors.isEmpty, "\(resource): \(errors)")
                }
            }
        }
    }

    @Test func aDatabaseWithCustomersIsRefusedAndLeftAsItWas() async throws {
        try await Self.withPool { pool in
            _ = try await Self.business(historyDays: 1).load(into: pool)
            let before = try await Self.count(pool, "SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM unit) * 1000000")
            let error = await #expect(throws: SampleError.self) { try await Self.business(seed: 9, historyDays: 1).load(into: pool) }
            #expect(error == .databaseNotEmpty(customers: 300))
            #expect(error?.description.contains("not empty") == true)
            #expect(try await Self.count(pool, "SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM unit) * 1000000") == before)
        }
    }
}
