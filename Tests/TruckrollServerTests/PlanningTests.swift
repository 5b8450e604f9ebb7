import Foundation
import LibPQ
import Testing
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// Dispatch planning against a real PostgreSQL: workers sharing the queue, applying with version checks, repairs
/// that keep committed work, and parts that arrive later.
@Suite struct PlanningTests {
    typealias Fixture = PlanningFixture

    static func changes(_ run: JSONObject) -> (bookings: [JSONObject], cancellations: [JSONObject]) {
        let changes = run["changes"]?.objectValue ?? [:]
        return (changes["bookings"]?.arrayValue?.compactMap(\.objectValue) ?? [], changes["cancellations"]?.arrayValue?.compactMap(\.objectValue) ?? [])
    }

    @Test func aPlanBooksEveryCallAndTheTechnicianSeesTheNewOrder() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await Fixture.make(pool: pool)
                let id = try await Fixture.plan(pool)
                let run = try await Fixture.run(pool, id)
                #expect(run["status"] == "done", "\(run["error"] ?? .null)")
                let result = try #require(run["result"]?.objectValue)
                #expect(result["kpis"]?.objectValue?["assigned"] == 4 && result["kpis"]?.objectValue?["unassigned"] == 0)
                #expect(result["current_plan"]?.objectValue?["unassigned"] == 4)
                let downtime = { (key: String) in result[key]?.objectValue?["downtime_cost"]?.numberValue ?? 0 }
                #expect(downtime("kpis") <= downtime("naive_dispatch") + 0.01 && downtime("kpis") < downtime("current_plan"))

                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                let applied = try await http.send("POST", "/v1/plans/\(id)/apply")
                #expect(applied.status == 200, "\(applied.text)")
                #expect(applied.object["created"] as? Int == 4)
                let again = try await http.send("POST", "/v1/plans/\(id)/apply")
                #expect(again.status == 409)

                let planned = Self.changes(run).bookings.filter { $0["technician_id"]?.integerValue == fixture["technician1"] }
                    .sorted { ($0["planned_start"]?.stringValue ?? "") < ($1["planned_start"]?.stringValue ?? "") }
                    .compactMap { $0["request_id"]?.integerValue }
                let mine = try await TestHTTP(base: base, token: fixture.tokens["tech1"]).send("GET", "/v1/me/visits")
                #expect(mine.status == 200)
                #expect(mine.items.compactMap { $0["service_request_id"] as? Int } == planned)
                let statuses = try await pool.query("SELECT DISTINCT status FROM service_request").map { try $0.decode(String.self, at: 0) }
                #expect(statuses == ["scheduled"])

                // The worker's metrics reach the process's /metrics.
                let metrics = try await TestHTTP(base: base, token: nil).send("GET", "/metrics").text
                for series in [#"truckroll_planning_runs_total{kind="plan",outcome="done"}"#,
                               #"truckroll_planning_run_duration_seconds_count{kind="plan"}"#, #"truckroll_planning_objective{kind="plan"}"#] {
                    #expect(metrics.contains(series), "\(series) in /metrics")
                }
            }
        }
    }

    @Test func twoWorkersOnOneQueuedRunExecuteItOnce() async throws {
        try await Fixture.withDatabasePool { pool in
            _ = try await Fixture.make(pool: pool, requests: 2)
            let document = try await PlanRunStore(pool: pool).create(["time_limit_seconds": 0.5], as: Fixture.dispatcher)
            let id = try #require(JSONValue(parsing: document)?.objectValue?["id"]?.integerValue)
            async let first = Fixture.worker(pool, name: "worker-1").runOnce()
            async let second = Fixture.worker(pool, name: "worker-2").runOnce()
            let claimed = try await [first, second]
            #expect(claimed.filter { $0 }.count == 1)
            let run = try await Fixture.run(pool, id)
            #expect(run["status"] == "done" && run["attempts"] == 1)
            #expect(["worker-1", "worker-2"].contains(run["worker"]?.stringValue ?? ""))
        }
    }

    @Test func aRunWhoseWorkerStoppedIsClaimedAgain() async throws {
        try await Fixture.withDatabasePool { pool in
            _ = try await Fixture.make(pool: pool, requests: 2)
            let document = try await PlanRunStore(pool: pool).create(["time_limit_seconds": 0.5], as: Fixture.dispatcher)
            let id = try #require(JSONValue(parsing: document)?.objectValue?["id"]?.integerValue)
            // A worker claimed it, then died: its heartbeat stopped a minute ago.
            _ = try await pool.query("""
                UPDATE plan_run SET status = 'running', worker = 'crashed', attempts = 1, horizon_start = now(),
                    heartbeat_at = now() - interval '1 minute' WHERE id = \(id)
                """)
            #expect(try await Fixture.worker(pool).runOnce())
            let run = try await Fixture.run(pool, id)
            #expect(run["status"] == "done" && run["attempts"] == 2 && run["worker"] == "test-worker")
            // A fresh heartbeat is left alone.
            let other = try #require(JSONValue(parsing: try await PlanRunStore(pool: pool).create([:], as: Fixture.dispatcher))?.objectValue?["id"]?.integerValue)
            _ = try await pool.query("UPDATE plan_run SET status = 'running', worker = 'busy', heartbeat_at = now() WHERE id = \(other)")
            #expect(try await Fixture.worker(pool).runOnce() == false)
        }
    }

    @Test func applyingKeepsWhatADispatcherChangedMeanwhileAndReportsIt() async throws {
        try await Fixture.withDatabasePool { pool in
            let fixture = try await Fixture.make(pool: pool, requests: 4)
            // Request 1 is booked late in the day: the plan moves it earlier.
            guard case .created(let booked) = try await RegistryStore(pool: pool).create("visits", record: [
                "service_request_id": .number(Double(fixture["request1"])), "technician_id": .number(Double(fixture["technician2"])),
                "planned_start": .string(Timestamp.format(Date().addingTimeInterval(20 * 3_600))), "planned_minutes": 60,
            ], as: .operator) else { Issue.record("no visit"); return }
            let id = try await Fixture.plan(pool)
            let run = try await Fixture.run(pool, id)
            let bookings = Self.changes(run).bookings
            #expect(bookings.contains { $0["visit_id"]?.integerValue == booked.id }, "the plan should move the late visit")

            // Meanwhile a dispatcher edits the booked visit and books request 2 by hand.
            let edited = try await RegistryStore(pool: pool).update("visits", id: booked.id, patch: ["planned_minutes": 90],
                                                                    expectedVersion: booked.version, as: .operator)
            guard case .created = try await RegistryStore(pool: pool).create("visits", record: [
                "service_request_id": .number(Double(fixture["request2"])), "technician_id": .number(Double(fixture["technician1"])),
                "planned_start": .string(Timestamp.format(Date().addingTimeInterval(30 * 3_600))), "planned_minutes": 45,
            ], as: .operator) else { Issue.record("no manual booking"); return }

            let report = try #require(JSONValue(parsing: try await PlanRunStore(pool: pool).apply(id, as: Fixture.dispatcher))?.objectValue)
            let skipped = report["skipped"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(Set(skipped.compactMap { $0["request_id"]?.integerValue }) == [fixture["request1"], fixture["request2"]])
            #expect(skipped.allSatisfy { ($0["reason"]?.stringValue ?? "").contains("since the plan was computed") })
            #expect(report["created"] == 2)
            // The dispatcher's values stand.
            let row = try await pool.query("SELECT planned_minutes, version, planned_start FROM visit WHERE id = \(booked.id)")[0]
            #expect(try row.decode(Int.self, at: 0) == 90 && row.decode(Int.self, at: 1) == edited.version)
            let manual = try await pool.query("SELECT count(*) FROM visit WHERE service_request_id = \(fixture["request2"]) AND status <> 'cancelled'")
            #expect(try manual[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func aP1CallMidDayIsPlacedWithoutMovingFrozenOrStartedWork() async throws {
        try await Fixture.withDatabasePool { pool in
            var fixture = try await Fixture.make(pool: pool, requests: 5)
            let first = try await Fixture.plan(pool)
            _ = try await PlanRunStore(pool: pool).apply(first, as: Fixture.dispatcher)
            // One visit is under way (on site); the others are booked.
            let visits = try await pool.query("SELECT id, service_request_id, technician_id, planned_start FROM visit ORDER BY planned_start")
                .map { try $0.decode((Int, Int, Int, Date).self) }
            let started = visits[0]
            _ = try await pool.query("UPDATE visit SET status = 'on_site', arrived_at = now() WHERE id = \(started.0)")
            let before = Dictionary(uniqueKeysWithValues: visits.map { ($0.0, ($0.2, $0.3)) })

            _ = try await pool.query("UPDATE planning_policy SET replan_on_events = true, frozen_minutes = 90, repair_disruption_budget = 1, repair_time_limit_seconds = 1")
            try await fixture.openCall(6, priority: "P1", pool: pool)
            let queued = try await pool.query("SELECT id, trigger FROM plan_run WHERE kind = 'repair' AND status = 'queued'")
            #expect(queued.count == 1)
            let repair = try queued[0].decode(Int.self, at: 0)
            #expect(try queued[0].decode(String.self, at: 1) == "p1_request")
            #expect(try await Fixture.worker(pool).runOnce())
            let run = try await Fixture.run(pool, repair)
            #expect(run["status"] == "done", "\(run["error"] ?? .null)")
            let (bookings, cancellations) = Self.changes(run)
            #expect(bookings.contains { $0["request_id"]?.integerValue == fixture["request6"] }, "the P1 call is placed")
            #expect(!bookings.contains { $0["visit_id"]?.integerValue == started.0 }, "the visit under way stays")
            let frozenUntil = Date().addingTimeInterval(90 * 60)
            for booking in bookings {
                guard let visitID = booking["visit_id"]?.integerValue, let old = before[visitID] else { continue }
                #expect(old.1 >= frozenUntil, "visit \(visitID) starting \(old.1) is frozen but the repair moves it")
            }
            let reassigned = bookings.filter { booking in
                booking["visit_id"]?.integerValue.flatMap { before[$0]?.0 }.map { $0 != booking["technician_id"]?.integerValue } ?? false
            }
            #expect(reassigned.count + cancellations.count <= 1, "disruption budget of 1")
            let report = try #require(JSONValue(parsing: try await PlanRunStore(pool: pool).apply(repair, as: Fixture.dispatcher))?.objectValue)
            #expect(report["skipped"]?.arrayValue?.isEmpty == true, "\(report)")
            let p1 = try await pool.query("SELECT status FROM service_request WHERE id = \(fixture["request6"])")
            #expect(try p1[0].decode(String.self, at: 0) == "scheduled")
        }
    }

    @Test func aCallWhosePartArrivesLaterIsNeverStartedBeforeThePartIsThere() async throws {
        try await Fixture.withDatabasePool { pool in
            let fixture = try await Fixture.make(pool: pool, requests: 3)
            let eta = Date().addingTimeInterval(4 * 3_600).addingTimeInterval(-Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
            _ = try await pool.query("INSERT INTO vendor (code, name, time_zone, business_hours) VALUES ('CANON', 'Canon', 'Europe/Paris', '[]')")
            _ = try await pool.query("""
                INSERT INTO rma (vendor_id, unit_id, service_request_id, replacement_part_id, kind, status, eta, destination)
                SELECT v.id, \(fixture["unit2"]), \(fixture["request2"]), \(fixture["part"]), 'field_replaceable', 'shipped', \(eta), 'site'
                FROM vendor v
                """)
            let id = try await Fixture.plan(pool)
            let run = try await Fixture.run(pool, id)
            let booking = try #require(Self.changes(run).bookings.first { $0["request_id"]?.integerValue == fixture["request2"] })
            let start = try #require(booking["planned_start"]?.stringValue.flatMap(Timestamp.parse))
            #expect(start >= eta, "starts \(start), part arrives \(eta)")
            let parts = booking["bring_parts"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(parts.first?["source"]?.stringValue?.hasPrefix("RMA") == true)
        }
    }

    @Test func badRequestsNameTheFieldAndWhatIfRunsAreNeverApplied() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await Fixture.make(pool: pool, requests: 2)
                let http = TestHTTP(base: base, token: fixture.tokens["dispatcher"])
                let bad = try await http.send("POST", "/v1/plans", json: ["horizon_minutes": 5, "time_limit_seconds": "soon", "colour": 1])
                #expect(bad.status == 422)
                #expect(["horizon_minutes", "time_limit_seconds", "colour"].allSatisfy { bad.text.contains("\"\($0)\"") }, "\(bad.text)")
                let missing = try await http.send("POST", "/v1/plans", json: ["what_if": ["unavailable_technician_ids": [999_999]]])
                #expect(missing.status == 422 && missing.text.contains("what_if.unavailable_technician_ids"))
                #expect(try await pool.query("SELECT count(*) FROM plan_run")[0].decode(Int.self, at: 0) == 0)

                let whatIf = try await http.send("POST", "/v1/plans", json: ["time_limit_seconds": 0.4,
                                                                             "what_if": ["unavailable_technician_ids": [fixture["technician2"]],
                                                                                         "disruption_budget": 0] as [String: any Sendable]])
                #expect(whatIf.status == 202 && whatIf.headers["location"] != nil)
                let id = try #require(whatIf.object["id"] as? Int)
                _ = try await Fixture.worker(pool).runOnce()
                let run = try await Fixture.run(pool, id)
                let result = try #require(run["result"]?.objectValue)
                #expect(result["baseline"]?.objectValue != nil)
                #expect(result["routes"]?.arrayValue?.allSatisfy { $0.objectValue?["technician_id"]?.integerValue == fixture["technician1"] } == true)
                let apply = try await http.send("POST", "/v1/plans/\(id)/apply")
                #expect(apply.status == 409 && apply.text.contains("never applied"))
                #expect(try await pool.query("SELECT count(*) FROM visit")[0].decode(Int.self, at: 0) == 0)
            }
        }
    }
}

extension PlanningTests {
    @Test func technicianAvailabilityRMAETAsAndLateVisitsQueueOneRepairRunEach() async throws {
        try await Fixture.withDatabasePool { pool in
            let fixture = try await Fixture.make(pool: pool, requests: 2)
            _ = try await pool.query("UPDATE planning_policy SET replan_on_events = true")
            let runs = PlanRunStore(pool: pool)
            func queuedTriggers() async throws -> [String] {
                try await pool.query("SELECT trigger FROM plan_run WHERE kind = 'repair' AND status = 'queued' ORDER BY id").map { try $0.decode(String.self, at: 0) }
            }
            func clear() async throws { _ = try await pool.query("UPDATE plan_run SET status = 'cancelled' WHERE status = 'queued'") }

            _ = try await RegistryStore(pool: pool).update("technicians", id: fixture["technician2"], patch: ["status": "inactive"],
                                                           expectedVersion: 1, as: .operator)
            #expect(try await queuedTriggers() == ["technician_unavailable"])
            // A second change while a repair run waits adds none: the waiting run will see it.
            _ = try await RegistryStore(pool: pool).update("technicians", id: fixture["technician2"], patch: ["status": "active"],
                                                           expectedVersion: 2, as: .operator)
            #expect(try await queuedTriggers() == ["technician_unavailable"])
            try await clear()

            _ = try await pool.query("INSERT INTO vendor (code, name, time_zone, business_hours) VALUES ('V', 'Vendor', 'Europe/Paris', '[]')")
            let rma = try await pool.query("""
                INSERT INTO rma (vendor_id, unit_id, service_request_id, kind, status, eta)
                SELECT id, \(fixture["unit1"]), \(fixture["request1"]), 'field_replaceable', 'shipped', now() + interval '2 hours' FROM vendor
                RETURNING id
                """)[0].decode(Int.self, at: 0)
            _ = try await pool.query("UPDATE rma SET eta = eta + interval '3 hours' WHERE id = \(rma)")
            #expect(try await queuedTriggers() == ["rma_eta_changed"])
            try await clear()

            _ = try await pool.query("""
                INSERT INTO visit (service_request_id, technician_id, planned_start, planned_minutes)
                VALUES (\(fixture["request2"]), \(fixture["technician1"]), now() - interval '2 hours', 30)
                """)
            try await runs.queueRepairForLateVisits()
            try await runs.queueRepairForLateVisits()
            #expect(try await queuedTriggers() == ["visit_late"])
            try await clear()
            try await runs.queueRepairForLateVisits()
            #expect(try await queuedTriggers() == [], "one repair per late visit")

            _ = try await pool.query("UPDATE planning_policy SET replan_on_events = false")
            _ = try await pool.query("UPDATE rma SET eta = eta + interval '1 hour' WHERE id = \(rma)")
            #expect(try await queuedTriggers() == [], "events do not trigger runs when the policy says so")
        }
    }
}

extension PlanningTests {
    @Test func anAutoAppliedRepairBooksTheP1CallWithoutADispatcher() async throws {
        try await Fixture.withDatabasePool { pool in
            var fixture = try await Fixture.make(pool: pool, requests: 2)
            _ = try await pool.query("UPDATE planning_policy SET replan_on_events = true, auto_apply = true, repair_time_limit_seconds = 0.5")
            try await fixture.openCall(3, priority: "P1", pool: pool)
            #expect(try await Fixture.worker(pool).runOnce())
            let run = try await pool.query("SELECT status, apply_report->>'created' FROM plan_run WHERE kind = 'repair'")
            #expect(try run[0].decode(String.self, at: 0) == "applied")
            #expect(try run[0].decode(String?.self, at: 1) == "3")
            let events = try await pool.query("SELECT actor, reason FROM event WHERE entity = 'visit' AND kind = 'created'")
            let actors = try events.map { try $0.decode(String.self, at: 0) }
            #expect(actors == ["planner", "planner", "planner"])
        }
    }
}

extension PlanningTests {
    @Test func bookingsThatWouldOverlapAVisitBookedSinceAreSkippedAndTheRestApplies() async throws {
        try await Fixture.withDatabasePool { pool in
            let fixture = try await Fixture.make(pool: pool, requests: 3)
            let id = try await Fixture.plan(pool)
            let bookings = Self.changes(try await Fixture.run(pool, id)).bookings
            let first = try #require(bookings.first)
            let start = try #require(first["planned_start"]?.stringValue.flatMap(Timestamp.parse))
            // A dispatcher books request 4 (opened since) on top of the first booking's slot.
            var fixture2 = fixture
            try await fixture2.openCall(4, pool: pool)
            guard case .created = try await RegistryStore(pool: pool).create("visits", record: [
                "service_request_id": .number(Double(fixture2["request4"])), "technician_id": first["technician_id"] ?? .null,
                "planned_start": .string(Timestamp.format(start)), "planned_minutes": 30,
            ], as: .operator) else { Issue.record("no manual booking"); return }
            let report = try #require(JSONValue(parsing: try await PlanRunStore(pool: pool).apply(id, as: Fixture.dispatcher))?.objectValue)
            let skipped = report["skipped"]?.arrayValue?.compactMap(\.objectValue) ?? []
            // That technician's day stays as booked; the other technician's bookings apply.
            let hers = bookings.filter { $0["technician_id"] == first["technician_id"] }
            #expect(Set(skipped.compactMap { $0["request_id"]?.integerValue }) == Set(hers.compactMap { $0["request_id"]?.integerValue }), "\(report)")
            #expect(skipped.allSatisfy { $0["reason"]?.stringValue?.contains("overlap") == true })
            #expect(report["created"] == .number(Double(bookings.count - hers.count)))
            let overlaps = try await pool.query("""
                SELECT count(*) FROM visit a JOIN visit b ON a.technician_id = b.technician_id AND a.id < b.id
                WHERE tstzrange(a.planned_start, a.planned_end) && tstzrange(b.planned_start, b.planned_end)
                """)
            #expect(try overlaps[0].decode(Int.self, at: 0) == 0)
        }
    }

    /// A technician still on site when their next visit, locked for a set time, should start: the run succeeds, the
    /// locked visit stays booked as it was, and the plan shows it starting late and says why.
    @Test func aLockedVisitBehindWorkRunningLateIsKeptAndTheRunSucceeds() async throws {
        try await Fixture.withDatabasePool { pool in
            _ = try await Fixture.make(pool: pool, requests: 3)
            _ = try await PlanRunStore(pool: pool).apply(try await Fixture.plan(pool), as: Fixture.dispatcher)
            let busiest = try await pool.query("""
                SELECT technician_id FROM visit GROUP BY technician_id ORDER BY count(*) DESC, technician_id LIMIT 1
                """)[0].decode(Int.self, at: 0)
            // Their first visit is on site and ends in 50 minutes; the next is locked for 51 minutes from now, at
            // another site; any other moves to the evening. One statement, so the bookings never overlap meanwhile.
            _ = try await pool.query("""
                WITH mine AS (
                    SELECT id, row_number() OVER (ORDER BY planned_start) AS n FROM visit WHERE technician_id = \(busiest)
                )
                UPDATE visit v SET
                    status = CASE WHEN n = 1 THEN 'on_site' ELSE v.status END,
                    arrived_at = CASE WHEN n = 1 THEN now() ELSE v.arrived_at END,
                    planned_start = date_trunc('minute', now()) + CASE n WHEN 1 THEN interval '-10 minutes' WHEN 2 THEN interval '51 minutes'
                                                                    ELSE make_interval(hours => 4 * n::int) END,
                    planned_minutes = CASE WHEN n = 1 THEN 60 ELSE v.planned_minutes END,
                    locked = (n = 2)
                FROM mine WHERE v.id = mine.id
                """)
            let locked = try await pool.query("SELECT id, service_request_id, planned_start, version FROM visit WHERE locked")[0]
                .decode((Int, Int, Date, Int).self)
            let id = try await Fixture.plan(pool)
            let run = try await Fixture.run(pool, id)
            #expect(run["status"] == "done", "\(run["error"] ?? .null)")
            let routes = run["result"]?.objectValue?["routes"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let route = try #require(routes.first { $0["technician_id"]?.integerValue == busiest })
            let visits = route["visits"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let late = try #require(visits.first { $0["request_id"]?.integerValue == locked.1 })
            #expect(visits.firstIndex { $0["request_id"]?.integerValue == locked.1 } == 1, "right after the visit on site")
            #expect(late["change"] == "kept" && late["why"]?.stringValue?.contains("min after its booked start") == true, "\(late)")
            let start = try #require(late["start"]?.stringValue.flatMap(Timestamp.parse))
            #expect(start > locked.2)
            _ = try await PlanRunStore(pool: pool).apply(id, as: Fixture.dispatcher)
            let after = try await pool.query("SELECT planned_start, version, locked FROM visit WHERE id = \(locked.0)")[0].decode((Date, Int, Bool).self)
            #expect(after.0 == locked.2 && after.1 == locked.3 && after.2, "applying leaves the locked booking as it was")
        }
    }
}
