import Foundation
import LibPQ
import Testing
import TruckrollAPI
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// Calls, visits, parts, RMAs and device alerts over HTTP against a real PostgreSQL.
@Suite struct ServiceOperationsTests {
    func withOperations(_ body: @Sendable (TestHTTP, RegistryFixture, PGPool) async throws -> Void) async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database, maxConnections: 8) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                try await body(TestHTTP(base: base, token: fixture.tokens["dispatcher"]), fixture, pool)
            }
        }
    }

    /// Moves a record through statuses, each with the ETag of the step before; returns the last reply.
    @discardableResult
    func walk(_ http: TestHTTP, _ path: String, _ steps: [[String: any Sendable]]) async throws -> TestHTTP.Reply {
        var reply = try await http.send("GET", path)
        for step in steps {
            reply = try await http.send("POST", path + "/transitions", json: step, headers: ["If-Match": reply.headers["etag"] ?? ""])
            #expect(reply.status == 200, "\(path) → \(step["to"] ?? ""): \(reply.status) \(reply.text.prefix(300))")
        }
        return reply
    }

    static func count(_ pool: PGPool, _ query: PGQuery) async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }

    /// Found by scripts/fuzz.sh: a NUL character in any string of a body reached PostgreSQL, which cannot store it,
    /// and came back as a 500. It is now a 422 naming the field, before any SQL.
    @Test func aNULCharacterInABodyIsRefusedNamingItsField() async throws {
        try await withOperations { http, fixture, pool in
            let support = http.with(token: fixture.tokens["support"])
            let call = try await support.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Jams\u{0} on tray 2"])
            #expect(call.status == 422 && call.fieldsAtFault == ["symptom"], "\(call.status) \(call.text.prefix(300))")
            let nested = try await support.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Jams",
                "caller": ["name": "Ann\u{0}"]])
            #expect(nested.status == 422 && nested.fieldsAtFault == ["caller.name"], "\(nested.status) \(nested.text.prefix(300))")
            #expect(try await Self.count(pool, "SELECT count(*) FROM service_request WHERE symptom LIKE 'Jams%'") == 0)
        }
    }

    @Test func remoteResolutionPathAndIllegalMoves() async throws {
        try await withOperations { http, fixture, pool in
            let support = http.with(token: fixture.tokens["support"])
            let call = try await support.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Scanner feeds double"])
            #expect(call.status == 201 && call.object["status"] as? String == "new")
            let path = "/v1/service-requests/\(call.object["id"] as? Int ?? 0)"
            let missing = try await support.send("POST", path + "/transitions", json: ["to": "triage"])
            #expect(missing.status == 428)
            let illegal = try await support.send("POST", path + "/transitions", json: ["to": "resolved"], headers: ["If-Match": "\"v1\""])
            #expect(illegal.status == 409 && illegal.object["allowed"] as? [String] == ["triage", "dispatch_needed"])
            try await walk(support, path, [["to": "triage"], ["to": "escalated", "reason": "needs tier 2"]])
            let current = try await support.send("GET", path)
            let incomplete = try await support.send("POST", path + "/transitions", json: ["to": "resolved_remotely"],
                                                    headers: ["If-Match": current.headers["etag"] ?? ""])
            #expect(incomplete.status == 422 && Set(incomplete.fieldsAtFault) == ["resolution_code", "resolution_notes"])
            let resolved = try await walk(support, path, [["to": "resolved_remotely", "resolution_code": "PHONE-FIX", "resolution_notes": "Cleaned rollers with the user"]])
            #expect(resolved.object["restored_at"] is String)
            let closed = try await walk(support, path, [["to": "closed"]])
            #expect(closed.object["closed_at"] is String)
            let final = try await support.send("POST", path + "/transitions", json: ["to": "triage"], headers: ["If-Match": closed.headers["etag"] ?? ""])
            #expect(final.status == 409 && (final.object["allowed"] as? [String])?.isEmpty == true)
            let events = try await pool.query("""
                SELECT from_status, to_status FROM event WHERE entity = 'service_request' AND entity_id = \(call.object["id"] as? Int ?? 0) ORDER BY id
                """).map { try $0.decode((String?, String?).self) }
            #expect(events.map(\.1) == ["new", "triage", "escalated", "resolved_remotely", "closed"])
            #expect(zip(events.dropFirst(), events).allSatisfy { $0.0 == $1.1 }, "each event starts where the last ended")
            let technician = try await http.with(token: fixture.tokens["techA"]).send("POST", path + "/transitions", json: ["to": "triage"],
                                                                                    headers: ["If-Match": "\"v1\""])
            #expect(technician.status == 403)
        }
    }

    @Test func dispatchPathWithHoldForPartsAndSecondVisit() async throws {
        try await withOperations { http, fixture, pool in
            let requestPath = "/v1/service-requests/\(fixture["requestA"])"
            let techA = http.with(token: fixture.tokens["techA"])
            let visitPath = "/v1/visits/\(fixture["visitA"])"
            try await walk(http, visitPath, [["to": "dispatched"]])
            try await walk(techA, visitPath, [["to": "en_route"], ["to": "on_site"]])
            #expect(try await http.send("GET", requestPath).object["status"] as? String == "in_progress")
            let visit = try await techA.send("GET", visitPath)
            let part = try await techA.send("POST", visitPath + "/parts", json: ["part_id": fixture["part"], "quantity": 1],
                                            headers: ["If-Match": visit.headers["etag"] ?? ""])
            #expect(part.status == 201 && part.object["left_in_van"] as? Int == 1)
            let replay = try await techA.send("POST", visitPath + "/parts", json: ["part_id": fixture["part"], "quantity": 1],
                                              headers: ["If-Match": visit.headers["etag"] ?? ""])
            #expect(replay.status == 412, "a blind retry does not take the part twice")
            try await walk(techA, visitPath, [["to": "incomplete", "incomplete_code": "needs_part", "work_notes": "Fuser cracked, ordered"]])
            let held = try await http.send("GET", requestPath)
            #expect(held.object["status"] as? String == "on_hold" && held.object["hold_code"] as? String == "waiting_for_parts")
            #expect(held.object["first_on_site_at"] is String)

            let second = try await http.send("POST", "/v1/visits", json: [
                "service_request_id": fixture["requestA"], "technician_id": fixture["technicianA"], "planned_start": "2026-12-02T09:00:00Z",
                "planned_minutes": 90])
            #expect(second.status == 201)
            #expect(try await http.send("GET", requestPath).object["status"] as? String == "scheduled")
            let secondPath = "/v1/visits/\(second.object["id"] as? Int ?? 0)"
            try await walk(http, secondPath, [["to": "dispatched"]])
            try await walk(techA, secondPath, [["to": "en_route"], ["to": "on_site"],
                                               ["to": "completed", "outcome": "fixed", "work_notes": "Fuser replaced", "meter_pages": 130_500]])
            let resolved = try await http.send("GET", requestPath)
            #expect(resolved.object["status"] as? String == "resolved" && resolved.object["resolution_notes"] as? String == "Fuser replaced")
            #expect(try await http.send("GET", "/v1/units/\(fixture["unitA"])").object["meter_pages"] as? Int == 130_500)
            try await walk(http, requestPath, [["to": "closed"]])

            // A new corrective call on the same unit soon after is a callback of this one.
            let callback = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Same fault again"])
            #expect(callback.object["callback_of_id"] as? Int == fixture["requestA"])
            let planned = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "portal", "call_type": "preventive", "symptom": "PM due"])
            #expect(planned.object["callback_of_id"] is NSNull && planned.object["priority"] as? String == "P4")

            // The event log replays to the final state of every record.
            let finals = try await pool.query("""
                SELECT DISTINCT ON (entity, entity_id) entity, entity_id, to_status FROM event
                WHERE to_status IS NOT NULL ORDER BY entity, entity_id, id DESC
                """)
            for row in finals {
                let (entity, id, status) = try row.decode((String, Int, String).self)
                let stored = try await pool.query("SELECT status FROM \(identifier: entity) WHERE id = \(id)")[0].decode(String.self, at: 0)
                #expect(stored == status, "\(entity) \(id): log says \(status), row says \(stored)")
            }
        }
    }

    @Test func twoDispatchersBookingTheSameSlotExactlyOneWins() async throws {
        try await withOperations { http, fixture, pool in
            let other = http.with(token: fixture.tokens["admin"])
            for round in 0..<6 {
                let start = "2026-12-0\(3 + round)T10:00:00Z"
                let body: [String: any Sendable] = ["service_request_id": fixture["requestB"], "technician_id": fixture["technicianA"],
                                                    "planned_start": start, "planned_minutes": 120]
                var shifted = body
                shifted["planned_start"] = "2026-12-0\(3 + round)T11:00:00Z"
                async let first = http.send("POST", "/v1/visits", json: body)
                async let second = other.send("POST", "/v1/visits", json: shifted)
                let replies = try await [first, second]
                #expect(replies.map(\.status).sorted() == [201, 409], "round \(round): \(replies.map(\.status))")
                let loser = try #require(replies.first { $0.status == 409 })
                #expect(loser.fieldsAtFault == ["technician_id"] && loser.text.contains("technician \(fixture["technicianA"])"))
            }
            let overlaps = try await Self.count(pool, """
                SELECT count(*) FROM visit a JOIN visit b ON a.technician_id = b.technician_id AND a.id < b.id
                WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
                    AND tstzrange(a.planned_start, a.planned_end) && tstzrange(b.planned_start, b.planned_end)
                """)
            #expect(overlaps == 0)
        }
    }

    @Test func concurrentPartUseNeverDrivesStockBelowZero() async throws {
        try await withOperations { http, fixture, pool in
            try await pool.query("UPDATE stock_item SET quantity = 5 WHERE id = \(fixture["stockA"])")
            var visits: [(Int, String)] = []
            for day in 0..<8 {
                let visit = try await http.send("POST", "/v1/visits", json: [
                    "service_request_id": fixture["requestA"], "technician_id": fixture["technicianA"],
                    "planned_start": "2026-12-1\(day)T08:00:00Z", "planned_minutes": 30])
                let path = "/v1/visits/\(visit.object["id"] as? Int ?? 0)"
                let reply = try await walk(http, path, [["to": "dispatched"], ["to": "en_route"], ["to": "on_site"]])
                visits.append((visit.object["id"] as? Int ?? 0, reply.headers["etag"] ?? ""))
            }
            let techA = http.with(token: fixture.tokens["techA"])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for (id, etag) in visits {
                    group.addTask {
                        try await techA.send("POST", "/v1/visits/\(id)/parts", json: ["part_id": fixture["part"]], headers: ["If-Match": etag]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 5 && statuses.filter { $0 == 409 }.count == 3, "\(statuses)")
            #expect(try await Self.count(pool, "SELECT quantity FROM stock_item WHERE id = \(fixture["stockA"])") == 0)
            let logged = try await Self.count(pool, "SELECT count(*) FROM event WHERE kind = 'part_used'")
            let fitted = try await Self.count(pool, "SELECT coalesce(sum(quantity), 0)::bigint FROM visit_part")
            #expect(logged == 5 && fitted == 5)
        }
    }

    @Test func alertStormsOpenOneCallPerUnitAndCode() async throws {
        try await withOperations { http, fixture, pool in
            let importer = RegistryImporter(pool: pool)
            try await importer.importCSV("units", text: "serial_number,equipment_model_id,site_id\n"
                + (1...50).map { "STORM-\($0),\(fixture["model"]),\(fixture["site"])" }.joined(separator: "\n"))
            let agent = http.with(token: fixture.tokens["support"])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        try await agent.send("POST", "/v1/device-alerts", json: [
                            "source": "fleet", "serial_number": "STORM-\(index % 50 + 1)", "alert_code": "J-\(index / 50 % 2)",
                            "severity": "critical", "occurred_at": "2026-11-30T08:\(String(format: "%02d", index / 50)):\(String(format: "%02d", index % 50))Z",
                        ]).status
                    }
                    if index >= 16 { _ = try await group.next() }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 201 }, "\(Set(statuses))")
            let open = try await pool.query("""
                SELECT u.serial_number, r.alert_code, count(*) FROM service_request r JOIN unit u ON u.id = r.unit_id
                WHERE u.serial_number LIKE 'STORM-%' GROUP BY 1, 2
                """)
            #expect(open.count == 100)
            #expect(try open.allSatisfy { try $0.decode(Int.self, at: 2) == 1 })
            #expect(try await Self.count(pool, "SELECT count(*) FROM device_alert WHERE serial_number LIKE 'STORM-%'") == 1000)

            // A repeated delivery is the same alert; an unknown serial is kept; a resolved fault stays quiet until it clears.
            let alert: [String: any Sendable] = ["source": "fleet", "serial_number": "STORM-1", "alert_code": "J-0", "severity": "critical",
                                                 "occurred_at": "2026-11-30T08:00:00Z"]
            let repeated = try await agent.send("POST", "/v1/device-alerts", json: alert)
            #expect(repeated.status == 200 && repeated.headers["idempotent-replayed"] == "true")
            // Found by scripts/fuzz.sh: the repeat's 200 was missing from /openapi.json, so its JSON broke the contract.
            let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json().utf8)) as? [String: Any]
            let paths = document?["paths"] as? [String: [String: [String: Any]]]
            let answers = paths?["/v1/device-alerts"]?["post"]?["responses"] as? [String: [String: Any]]
            #expect((answers?["200"]?["content"] as? [String: Any])?["application/json"] != nil)
            let unknown = try await agent.send("POST", "/v1/device-alerts", json: ["source": "fleet", "serial_number": "NOPE-1", "alert_code": "J-0",
                                                                                   "severity": "critical", "occurred_at": "2026-11-30T09:00:00Z"])
            #expect(unknown.status == 201 && unknown.object["outcome"] as? String == "unknown_unit")
            let requestID = try #require(repeated.object["service_request_id"] as? Int)
            try await walk(http, "/v1/service-requests/\(requestID)", [["to": "triage"], ["to": "resolved_remotely", "resolution_code": "RESET", "resolution_notes": "Remote reset"]])
            var later = alert
            later["occurred_at"] = "2026-11-30T10:00:00Z"
            #expect(try await agent.send("POST", "/v1/device-alerts", json: later).object["outcome"] as? String == "recorded")
            later["occurred_at"] = "2026-11-30T10:05:00Z"
            later["severity"] = "cleared"
            #expect(try await agent.send("POST", "/v1/device-alerts", json: later).object["outcome"] as? String == "cleared")
            later["occurred_at"] = "2026-11-30T11:00:00Z"
            later["severity"] = "critical"
            #expect(try await agent.send("POST", "/v1/device-alerts", json: later).object["outcome"] as? String == "opened")
        }
    }

    @Test func prioritiesMeterChecksAndRMAs() async throws {
        try await withOperations { http, fixture, pool in
            try await pool.query("UPDATE unit SET criticality = 'critical' WHERE id = \(fixture["unitA"])")
            let critical = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Down"])
            #expect(critical.object["priority"] as? String == "P1" && critical.object["contract_id"] as? Int == fixture["contract"])
            let billable = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitB"], "channel": "phone", "call_type": "corrective", "symptom": "Slow", "unit_down": false])
            #expect(billable.object["priority"] as? String == "P4" && billable.object["contract_id"] is NSNull)
            let override = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitB"], "channel": "phone", "call_type": "corrective", "symptom": "Slow", "priority": "P1"])
            #expect(override.status == 422 && override.fieldsAtFault == ["priority_override_reason"])

            let lower = try await http.send("POST", "/v1/meter-readings", json: [
                "unit_id": fixture["unitA"], "read_at": "2026-11-20T09:00:00Z", "pages": 150_000, "source": "customer_portal"])
            #expect(lower.object["status"] as? String == "accepted")
            let backwards = try await http.send("POST", "/v1/meter-readings", json: [
                "unit_id": fixture["unitA"], "read_at": "2026-11-25T09:00:00Z", "pages": 140_000, "source": "customer_portal"])
            #expect(backwards.object["status"] as? String == "held")
            let implausible = try await http.send("POST", "/v1/meter-readings", json: [
                "unit_id": fixture["unitA"], "read_at": "2026-11-21T09:00:00Z", "pages": 950_000, "source": "device_agent"])
            #expect(implausible.object["status"] as? String == "held" && (implausible.object["hold_reason"] as? String)?.contains("implausible") == true)
            #expect(try await http.send("GET", "/v1/units/\(fixture["unitA"])").object["meter_pages"] as? Int == 150_000)

            let vendorA = http.with(token: fixture.tokens["vendorA"])
            let own = try await vendorA.send("POST", "/v1/rmas", json: [
                "vendor_id": fixture["vendorA"], "unit_id": fixture["unitA"], "kind": "advance_exchange", "vendor_case_number": "CASE-77",
                "defective_due_on": "2026-11-01"])
            #expect(own.status == 201)
            let others = try await vendorA.send("POST", "/v1/rmas", json: [
                "vendor_id": fixture["vendorB"], "unit_id": fixture["unitB"], "kind": "field_replaceable"])
            #expect(others.status == 403)
            let uncovered = try await vendorA.send("POST", "/v1/rmas", json: [
                "vendor_id": fixture["vendorA"], "unit_id": fixture["unitB"], "kind": "field_replaceable"])
            #expect(uncovered.status == 422 && uncovered.fieldsAtFault == ["unit_id"], "vendor A does not back unit B")
            #expect(own.object["vendor_contract_id"] as? Int == fixture["vendorContractA"], "the covering contract is filled in")
            let path = "/v1/rmas/\(own.object["id"] as? Int ?? 0)"
            try await walk(vendorA, path, [["to": "approved", "rma_number": "RMA-88"]])
            let current = try await vendorA.send("GET", path)
            let shippedWithout = try await vendorA.send("POST", path + "/transitions", json: ["to": "shipped"], headers: ["If-Match": current.headers["etag"] ?? ""])
            #expect(Set(shippedWithout.fieldsAtFault) == ["carrier", "tracking_number", "eta"])
            try await walk(vendorA, path, [["to": "shipped", "carrier": "DHL", "tracking_number": "JD0001", "eta": "2026-12-02T10:00:00Z"],
                                           ["to": "delivered", "destination": "vehicle", "destination_vehicle_id": fixture["vehicleA"]]])
            let delivered = try await vendorA.send("GET", path)
            #expect(delivered.object["defective_overdue"] as? Bool == true && delivered.object["eta"] is String)
            let returned = try await walk(vendorA, path, [["to": "defective_returned"], ["to": "closed"]])
            #expect(returned.object["defective_overdue"] as? Bool == false)
            #expect(try await http.with(token: fixture.tokens["vendorB"]).send("GET", path).status == 404)
            #expect(try await Self.count(pool, "SELECT count(*) FROM event WHERE entity = 'rma' AND entity_id = \(own.object["id"] as? Int ?? 0)") == 6)
        }
    }

    @Test func slaClocksFollowTheContractCalendar() async throws {
        try await withOperations { http, fixture, _ in
            // Friday 20 November 2026, 16:00 in Paris; the contract covers Mon–Fri 08:00–17:00, P3 targets 960/2400 minutes.
            let call = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Streaks",
                "reported_at": "2026-11-20T15:00:00Z"])
            #expect(call.object["priority"] as? String == "P3")
            let clocks = try #require(call.object["clocks"] as? [String: Any])
            let response = try #require(clocks["response"] as? [String: Any])
            let restore = try #require(clocks["restore"] as? [String: Any])
            // 60 min on Friday + 540 on Monday + 360 on Tuesday: Tuesday 14:00 Paris.
            #expect(response["due"] as? String == "2026-11-24T13:00:00.000Z")
            // 60 + 4 × 540 + 180: the next Friday, 11:00 Paris.
            #expect(restore["due"] as? String == "2026-11-27T10:00:00.000Z")
            #expect(response["breached"] as? Bool == true && response["met_at"] is NSNull, "nobody came: breached by now")
            let future = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Streaks", "reported_at": "2030-01-01T00:00:00Z"])
            #expect(future.status == 422 && future.fieldsAtFault == ["reported_at"])
            let billable = try await http.send("GET", "/v1/service-requests/\(fixture["requestB"])")
            #expect((billable.object["clocks"] as? [String: Any])?["restore"] is NSNull, "no contract, no SLA clock")

            let rma = try await http.send("POST", "/v1/rmas", json: [
                "vendor_id": fixture["vendorA"], "unit_id": fixture["unitA"], "kind": "field_replaceable",
                "service_request_id": call.object["id"] as? Int ?? 0, "eta": "2026-12-01T09:00:00Z"])
            #expect(rma.status == 201)
            let warned = try await http.send("GET", "/v1/service-requests/\(call.object["id"] as? Int ?? 0)")
            let warnings = ((warned.object["clocks"] as? [String: Any])?["warnings"] as? [String]) ?? []
            #expect(warnings.count == 1 && warnings[0].contains("after the restore is due"), "\(warnings)")
        }
    }

    @Test func stockTransfersAndTheTechniciansBriefing() async throws {
        try await withOperations { http, fixture, pool in
            let depotStock = try await http.send("POST", "/v1/stock", json: ["depot_id": fixture["depot"], "part_id": fixture["part"], "quantity": 4])
            #expect(depotStock.status == 201)
            let techA = http.with(token: fixture.tokens["techA"])
            let pickUp = try await techA.send("POST", "/v1/stock/transfers", json: [
                "part_id": fixture["part"], "quantity": 3, "from_depot_id": fixture["depot"], "to_vehicle_id": fixture["vehicleA"],
                "reason": "pick-up for tomorrow"])
            #expect(pickUp.status == 201 && pickUp.object["left_at_source"] as? Int == 1 && pickUp.object["now_at_destination"] as? Int == 5)
            let othersVan = try await techA.send("POST", "/v1/stock/transfers", json: [
                "part_id": fixture["part"], "quantity": 1, "from_depot_id": fixture["depot"], "to_vehicle_id": fixture["vehicleB"]])
            #expect(othersVan.status == 403)
            let tooMany = try await http.send("POST", "/v1/stock/transfers", json: [
                "part_id": fixture["part"], "quantity": 2, "from_depot_id": fixture["depot"], "to_vehicle_id": fixture["vehicleB"]])
            #expect(tooMany.status == 409 && tooMany.fieldsAtFault == ["quantity"])
            let both = try await http.send("POST", "/v1/stock/transfers", json: [
                "part_id": fixture["part"], "quantity": 1, "from_depot_id": fixture["depot"], "from_vehicle_id": fixture["vehicleA"],
                "to_vehicle_id": fixture["vehicleB"]])
            #expect(both.status == 422 && both.fieldsAtFault == ["from_vehicle_id"])
            #expect(try await Self.count(pool, "SELECT count(*) FROM event WHERE entity = 'stock_item' AND kind = 'transfer'") == 1)

            // A parts request: the technician asks, the depot gets it ready, the pick-up moves the stock.
            let asked = try await techA.send("POST", "/v1/part-requests", json: [
                "part_id": fixture["part"], "quantity": 1, "from_depot_id": fixture["depot"], "to_vehicle_id": fixture["vehicleA"]])
            #expect(asked.status == 201 && asked.object["status"] as? String == "requested")
            let forOthers = try await techA.send("POST", "/v1/part-requests", json: [
                "part_id": fixture["part"], "quantity": 1, "from_depot_id": fixture["depot"], "to_vehicle_id": fixture["vehicleB"]])
            #expect(forOthers.status == 403)
            let requestPath = "/v1/part-requests/\(asked.object["id"] as? Int ?? 0)"
            try await walk(http, requestPath, [["to": "ready"]])
            let fulfilled = try await walk(techA, requestPath, [["to": "fulfilled"]])
            #expect(fulfilled.object["fulfilled_at"] is String)
            #expect(try await Self.count(pool, "SELECT quantity FROM stock_item WHERE vehicle_id = \(fixture["vehicleA"]) AND part_id = \(fixture["part"])") == 6)
            #expect(try await Self.count(pool, "SELECT quantity FROM stock_item WHERE depot_id = \(fixture["depot"]) AND part_id = \(fixture["part"])") == 0)
            let empty = try await walk(http, "/v1/part-requests/\(fixture["partRequestB"])", [["to": "ready"]])
            let short = try await http.send("POST", "/v1/part-requests/\(fixture["partRequestB"])/transitions", json: ["to": "fulfilled"],
                                            headers: ["If-Match": empty.headers["etag"] ?? ""])
            #expect(short.status == 409 && short.fieldsAtFault == ["quantity"], "the depot is empty now")

            let model = try await http.with(token: fixture.tokens["admin"]).send("GET", "/v1/equipment-models/\(fixture["model"])")
            _ = try await http.with(token: fixture.tokens["admin"]).send("PATCH", "/v1/equipment-models/\(fixture["model"])",
                json: ["common_part_ids": [fixture["part"]]], headers: ["If-Match": model.headers["etag"] ?? ""])
            let jobs = try await techA.send("GET", "/v1/me/visits")
            let job = try #require(jobs.items.first)
            let parts = try #require(job["parts_to_bring"] as? [[String: Any]])
            #expect(parts.count == 1 && parts[0]["part_number"] as? String == "FUSER-1" && parts[0]["in_van"] as? Int == 6)
            let history = try #require(job["unit_history"] as? [[String: Any]])
            #expect(history.contains { ($0["symptom"] as? String)?.contains("E100") == true }, "the alert's call is in the unit's history")
            #expect(!history.contains { $0["id"] as? Int == fixture["requestA"] }, "the visit's own call is not its history")
        }
    }

    @Test func waitingForTheCustomerPausesTheClocks() async throws {
        try await withOperations { http, fixture, pool in
            let call = try await http.send("POST", "/v1/service-requests", json: [
                "unit_id": fixture["unitA"], "channel": "phone", "call_type": "corrective", "symptom": "Streaks",
                "reported_at": "2026-11-20T15:00:00Z"])
            let id = try #require(call.object["id"] as? Int)
            // On hold for the customer for the whole of Monday 23 November (08:00–17:00 Paris): a day later due.
            try await pool.query("""
                INSERT INTO event (actor, entity, entity_id, kind, from_status, to_status, data, at) VALUES
                    ('test', 'service_request', \(id), 'status_changed', 'triage', 'on_hold', '{"hold_code": "waiting_for_customer"}', '2026-11-23T07:00:00Z'),
                    ('test', 'service_request', \(id), 'status_changed', 'on_hold', 'dispatch_needed', NULL, '2026-11-23T16:00:00Z')
                """)
            let paused = try await http.send("GET", "/v1/service-requests/\(id)")
            let clocks = try #require(paused.object["clocks"] as? [String: Any])
            #expect((clocks["response"] as? [String: Any])?["due"] as? String == "2026-11-25T13:00:00.000Z")
            #expect(clocks["paused_minutes"] as? Int == 540)
            // Waiting for parts does not stop the customer's clock.
            try await pool.query("""
                INSERT INTO event (actor, entity, entity_id, kind, from_status, to_status, data, at) VALUES
                    ('test', 'service_request', \(id), 'status_changed', 'dispatch_needed', 'on_hold', '{"hold_code": "waiting_for_parts"}', '2026-11-24T07:00:00Z'),
                    ('test', 'service_request', \(id), 'status_changed', 'on_hold', 'dispatch_needed', NULL, '2026-11-24T16:00:00Z')
                """)
            let parts = try await http.send("GET", "/v1/service-requests/\(id)")
            #expect(((parts.object["clocks"] as? [String: Any])?["response"] as? [String: Any])?["due"] as? String == "2026-11-25T13:00:00.000Z")
        }
    }
}
