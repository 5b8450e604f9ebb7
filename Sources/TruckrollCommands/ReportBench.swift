import ArgumentParser
import Foundation
import LibPQ
import Logging
import TruckrollServer
import TruckrollStore

/// `truckroll bench reports`: every report over the whole recorded period, timed.
struct ReportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Time every report over the whole period recorded in the database.",
        discussion: """
            Runs each report once to warm up, then times it (best of --runs), over the period from the first call to \
            the day after the last, and prints one line per report: name, rows, seconds. The SLA report is timed \
            first computed directly, then the stored summaries are refreshed (timed) and every report is timed with \
            them; last, the SLA report from the summaries is checked against the direct computation by three \
            groupings (a difference is an error). With --generate-events N it first \
            loads a bulk history of about N events (calls, visits, parts, meter readings, RMAs, a registry for them) \
            with COPY into a database with no calls yet.
            """
    )

    @Option(name: .customLong("generate-events"), help: "Load a history of about this many events first (the database must have no calls).")
    var generateEvents: Int?
    @Option(help: "Timed runs of each report; the best counts.") var runs = 3
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        if let generateEvents, generateEvents < 1000 { throw ValidationError("--generate-events must be at least 1000") }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: .warning)
            try await withDatabase(configuration, migrateEmbedded: true, logger: logger) { server in
                let pool = PGPool(configuration: server, options: .init(maxConnections: 2, leaseTimeout: .seconds(600)), logger: logger)
                do {
                    if let generateEvents {
                        let started = ContinuousClock.now
                        let events = try await pool.withConnection { try await BenchHistory(events: generateEvents).load(into: $0) }
                        print(String(format: "generated %d events in %.1f s", events, (ContinuousClock.now - started).seconds))
                    }
                    try await measure(pool: pool)
                } catch {
                    await pool.shutdown()
                    throw error
                }
                await pool.shutdown()
            }
        }
    }

    private func measure(pool: PGPool) async throws {
        let (first, last, events) = try await pool.query("""
            SELECT min(reported_at), max(reported_at), (SELECT count(*) FROM event) FROM service_request
            """).first.map { try $0.decode((Date?, Date?, Int).self) } ?? (nil, nil, 0)
        guard let first, let last else { throw ValidationError("the database has no calls: load some, or pass --generate-events") }
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(identifier: "UTC")!
        let from = gregorian.startOfDay(for: first), to = gregorian.startOfDay(for: last).addingTimeInterval(86_400)
        print("period \(from.formatted(.iso8601)) to \(to.formatted(.iso8601)), \(events) events")
        let reports = ReportStore(pool: pool)
        let query = ReportStore.Query(from: from, to: to, grouping: .none, filters: [:])
        var direct = query
        direct.usesStoredSummaries = false
        let (_, slaDirect) = try await best(of: runs) { try await reports.run(.sla, direct, as: .operator).count }
        print(String(format: "sla direct   (every call's clocks evaluated) %8.3f s", slaDirect))
        let started = ContinuousClock.now
        let refreshed = try await SLAOutcomeStore(pool: pool).refresh()
        print(String(format: "refreshed %d stored SLA outcomes in %.1f s", refreshed, (ContinuousClock.now - started).seconds))
        var slowest = 0.0
        for name in ReportStore.Name.allCases {
            let (rows, seconds) = try await best(of: runs) { try await reports.run(name, query, as: .operator).count }
            slowest = max(slowest, seconds)
            print(name.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %6d rows %8.3f s", rows, seconds))
        }
        // Clocks still running are evaluated at the period's end or now, whichever is earlier: end the period now, so
        // that both computations see the same instant.
        let checkedUntil = Date()
        for grouping in [ReportStore.Grouping.none, .customer, .priority] {
            var summarised = query, computed = direct
            (summarised.grouping, computed.grouping, summarised.to, computed.to) = (grouping, grouping, checkedUntil, checkedUntil)
            let expected = try await reports.run(.sla, computed, as: .operator)
            guard try await reports.run(.sla, summarised, as: .operator) == expected else {
                throw ValidationError("the sla report by \(grouping.rawValue) from the stored summaries differs from the direct computation")
            }
            print("sla by \(grouping.rawValue): stored summaries agree with the direct computation (\(expected.count) groups)")
        }
        print(String(format: "report bench: %d events, slowest report %.3f s (sla %.3f s direct)", events, slowest, slaDirect))
    }

    /// Runs `body` once to warm up, then `runs` times; returns its result and the best time in seconds.
    private func best(of runs: Int, _ body: () async throws -> Int) async throws -> (Int, Double) {
        var result = try await body(), fastest = Double.infinity
        for _ in 0..<runs {
            let started = ContinuousClock.now
            result = try await body()
            fastest = min(fastest, (ContinuousClock.now - started).seconds)
        }
        return (result, fastest)
    }
}

/// A bulk history for the report benchmark: a registry and calls with their visits, events, parts, meter readings and
/// RMAs, spread over the year before today, loaded with COPY. Deterministic: the same size gives the same history.
struct BenchHistory {
    let events: Int
    static let customers = 40, sitesPerCustomer = 5, unitsPerSite = 20, models = 20, parts = 100, technicians = 60, vendors = 4
    static let coverage = #"{"hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}]}"#
    static let targets = #"{"P1": {"response_minutes": 240, "restore_minutes": 480}, "P2": {"response_minutes": 480, "restore_minutes": 960}, "P3": {"response_minutes": 960, "restore_minutes": 2400}, "P4": {"response_minutes": 2400, "restore_minutes": 4800}}"#
    static let weekdays = #"[{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]"#

    /// A well-mixed number from a seed and a salt (the SplitMix64 finaliser).
    static func mix(_ seed: Int, _ salt: Int) -> Int {
        var z = UInt64(bitPattern: Int64(seed &* 31 &+ salt)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }

    /// `count` rows made by `make` from their index.
    private func rows(_ count: Int, _ make: (Int) -> [any PGEncodable]) -> [[any PGEncodable]] {
        (0..<count).map(make)
    }

    /// Loads the history in one transaction; returns the number of events written.
    func load(into connection: PGConnection) async throws -> Int {
        try await connection.withTransaction { connection in
            let existing = try await connection.query("SELECT count(*) FROM service_request").first?.decode(Int.self) ?? 0
            guard existing == 0 else { throw ValidationError("--generate-events needs a database without calls (this one has \(existing))") }
            var base: [String: Int] = [:]
            for table in ["customer", "department", "site", "equipment_model", "part", "unit", "vendor", "vendor_contract",
                          "service_contract", "technician", "visit", "rma"] {
                base[table] = try await connection.query("SELECT coalesce(max(id), 0) FROM \(identifier: table)").first?.decode(Int.self) ?? 0
            }
            let b = { (table: String, index: Int) in (base[table] ?? 0) + index + 1 }
            let sites = Self.customers * Self.sitesPerCustomer, units = sites * Self.unitsPerSite
            try await connection.copyIn(table: "customer", columns: ["id", "code", "name"],
                                        rows: rows(Self.customers) { [b("customer", $0), "BENCH-C\($0)", "Customer \($0)"] })
            try await connection.copyIn(table: "department", columns: ["id", "customer_id", "name"], rows: rows(Self.customers * 3) {
                [b("department", $0), b("customer", $0 / 3), "Department \($0 % 3)"] })
            try await connection.copyIn(table: "site", columns: ["id", "code", "customer_id", "name", "address", "latitude", "longitude", "time_zone"],
                                        rows: rows(sites) {
                [b("site", $0), "BENCH-S\($0)", b("customer", $0 / Self.sitesPerCustomer), "Site \($0)", "\($0) Bench St",
                 48 + Double($0 % 100) / 100, 2 + Double($0 % 70) / 100, "Europe/Paris"] })
            try await connection.copyIn(table: "equipment_model", columns: ["id", "code", "manufacturer", "name", "category",
                                                                           "typical_repair_minutes", "page_counting", "pm_interval_days", "pm_interval_pages"],
                                        rows: rows(Self.models) {
                [b("equipment_model", $0), "BENCH-M\($0)", "Maker \($0 % Self.vendors)", "Bench \($0)", $0 % 2 == 0 ? "copier_mfp" : "server",
                 60, $0 % 2 == 0, 90, $0 % 2 == 0 ? 50_000 as Int? : nil] })
            try await connection.copyIn(table: "part", columns: ["id", "part_number", "description", "unit_cost"], rows: rows(Self.parts) {
                [b("part", $0), "BENCH-P\($0)", "Part \($0)", Double(10 + $0 * 7 % 400)] })
            try await connection.copyIn(table: "unit", columns: ["id", "serial_number", "equipment_model_id", "site_id", "department_id", "install_date"],
                                        rows: rows(units) { unit in
                let site = unit / Self.unitsPerSite, customer = site / Self.sitesPerCustomer
                return [b("unit", unit), "BENCH-U\(unit)", b("equipment_model", Self.mix(unit, 1) % Self.models), b("site", site),
                        b("department", customer * 3 + unit % 3), "2024-01-15"] })
            try await connection.copyIn(table: "vendor", columns: ["id", "code", "name", "time_zone", "business_hours"], rows: rows(Self.vendors) {
                [b("vendor", $0), "BENCH-V\($0)", "Vendor \($0)", "Europe/Paris", Self.weekdays] })
            try await connection.copyIn(table: "vendor_contract", columns: ["id", "vendor_id", "reference", "support_level",
                                                                           "replacement_business_hours", "valid_from", "valid_to"],
                                        rows: rows(Self.vendors) {
                [b("vendor_contract", $0), b("vendor", $0), "BENCH-VC\($0)", "parts_next_business_day", 16.0, "2020-01-01", "2035-12-31"] })
            try await connection.copyIn(table: "vendor_contract_equipment_model", columns: ["vendor_contract_id", "equipment_model_id"],
                                        rows: rows(Self.models) { [b("vendor_contract", $0 % Self.vendors), b("equipment_model", $0)] })
            try await connection.copyIn(table: "service_contract", columns: ["id", "reference", "customer_id", "valid_from", "valid_to",
                                                                            "coverage", "targets", "downtime_cost_per_hour"],
                                        rows: rows(Self.customers) {
                [b("service_contract", $0), "BENCH-SC\($0)", b("customer", $0), "2020-01-01", "2035-12-31", Self.coverage, Self.targets, 50.0 + Double($0)] })
            try await connection.copyIn(table: "service_contract_unit", columns: ["service_contract_id", "unit_id"], rows: rows(units) {
                [b("service_contract", $0 / Self.unitsPerSite / Self.sitesPerCustomer), b("unit", $0)] })
            try await connection.copyIn(table: "technician", columns: ["id", "code", "name", "home_latitude", "home_longitude", "time_zone", "calendar"],
                                        rows: rows(Self.technicians) {
                [b("technician", $0), "BENCH-T\($0)", "Technician \($0)", 48.8, 2.35, "Europe/Paris", #"{"weekly": \#(Self.weekdays)}"#] })

            // Calls: each has one visit in its technician's next free slot (six a day), so visits never overlap.
            var gregorian = Calendar(identifier: .gregorian)
            gregorian.timeZone = TimeZone(identifier: "UTC")!
            let calls = events / 10
            let slotsPerDay = 6 * Self.technicians
            let start = gregorian.startOfDay(for: Date()).addingTimeInterval(-Double(calls / slotsPerDay + 2) * 86_400)
            func call(_ i: Int) -> Call {
                let unit = Self.mix(i, 2) % units
                let site = unit / Self.unitsPerSite, customer = site / Self.sitesPerCustomer
                let planned = start.addingTimeInterval(Double(i / slotsPerDay) * 86_400 + 8 * 3600 + Double(i % 6) * 80 * 60)
                let arrived = planned.addingTimeInterval(Double(Self.mix(i, 3) % 20) * 60)
                let departed = arrived.addingTimeInterval(Double(40 + Self.mix(i, 4) % 40) * 60)
                let heldForParts = Self.mix(i, 5) % 10 == 0
                return Call(id: b("service_request", i), visit: b("visit", i), unit: b("unit", unit), site: b("site", site),
                            customer: b("customer", customer), department: b("department", customer * 3 + unit % 3),
                            contract: b("service_contract", customer), technician: b("technician", (i / 6) % Self.technicians),
                            reported: planned.addingTimeInterval(-Double(30 + Self.mix(i, 6) % 600) * 60), planned: planned,
                            arrived: arrived, departed: departed,
                            restored: heldForParts ? departed.addingTimeInterval(Double(24 + Self.mix(i, 7) % 48) * 3600) : departed,
                            heldForParts: heldForParts, corrective: Self.mix(i, 8) % 10 < 8, priority: "P\(1 + Self.mix(i, 9) % 4)")
            }
            try await connection.copyIn(table: "service_request", columns: [
                "id", "unit_id", "site_id", "customer_id", "department_id", "contract_id", "reported_at", "channel", "call_type", "symptom",
                "priority", "status", "resolution_code", "resolution_notes", "first_on_site_at", "restored_at", "closed_at",
            ], rows: (0..<calls).lazy.map { i -> [any PGEncodable] in
                let c = call(i)
                return [c.id, c.unit, c.site, c.customer, c.department, c.contract, c.reported, "phone", c.corrective ? "corrective" : "preventive",
                        "Bench fault", c.priority, "closed", "FIXED", "bench", c.arrived, c.restored, c.restored.addingTimeInterval(3600)]
            })
            try await connection.copyIn(table: "visit", columns: [
                "id", "service_request_id", "technician_id", "planned_start", "planned_minutes", "status", "en_route_at", "arrived_at",
                "departed_at", "outcome", "incomplete_code",
            ], rows: (0..<calls).lazy.map { i -> [any PGEncodable] in
                let c = call(i)
                return [c.visit, c.id, c.technician, c.planned, 60, c.heldForParts ? "incomplete" : "completed", c.arrived.addingTimeInterval(-1500),
                        c.arrived, c.departed, c.heldForParts ? "incomplete" : "fixed", c.heldForParts ? "needs_part" as String? : nil]
            })
            let written = try await connection.copyIn(table: "event", columns: ["at", "actor", "entity", "entity_id", "kind", "from_status", "to_status", "data"],
                                                      rows: (0..<calls).lazy.flatMap { i -> [[any PGEncodable]] in call(i).events })
            try await connection.copyIn(table: "visit_part", columns: ["visit_id", "part_id", "quantity", "unit_cost", "used_at"],
                                        rows: (0..<calls).lazy.filter { Self.mix($0, 10) % 10 < 3 }.map { i -> [any PGEncodable] in
                let c = call(i), part = Self.mix(i, 11) % Self.parts
                return [c.visit, b("part", part), 1, Double(10 + part * 7 % 400), c.departed]
            })
            try await connection.copyIn(table: "rma", columns: ["id", "vendor_id", "vendor_contract_id", "unit_id", "service_request_id", "kind",
                                                               "status", "replacement_part_id", "created_at", "delivered_at"],
                                        rows: (0..<calls).lazy.filter { Self.mix($0, 12) % 100 < 3 }.map { i -> [any PGEncodable] in
                let c = call(i), vendor = Self.mix(i, 13) % Self.vendors
                return [b("rma", i), b("vendor", vendor), b("vendor_contract", vendor), c.unit, c.id, "field_replaceable", "delivered",
                        b("part", Self.mix(i, 11) % Self.parts), c.departed, c.departed.addingTimeInterval(Double(6 + Self.mix(i, 14) % 66) * 3600)]
            })
            let months = calls / slotsPerDay / 30 + 2
            try await connection.copyIn(table: "meter_reading", columns: ["unit_id", "read_at", "pages", "source"], rows: (0..<units * months).lazy.map { index -> [any PGEncodable] in
                let unit = index / months, month = index % months
                return [b("unit", unit), start.addingTimeInterval(Double(month) * 30 * 86_400), 100_000 + month * (5000 + Self.mix(unit, 15) % 20_000), "device_agent"]
            })
            for table in ["customer", "department", "site", "equipment_model", "part", "unit", "vendor", "vendor_contract",
                          "service_contract", "technician", "service_request", "visit", "rma"] {
                try await connection.execute("SELECT setval(pg_get_serial_sequence(\(table), 'id'), (SELECT max(id) FROM \(identifier: table)))")
            }
            try await connection.execute("ANALYZE")
            return written
        }
    }

    /// One generated call and its visit.
    struct Call {
        let id, visit, unit, site, customer, department, contract, technician: Int
        let reported, planned, arrived, departed, restored: Date
        let heldForParts, corrective: Bool
        let priority: String

        /// The events a call and its visit log: 10, or 12 when it waited for parts.
        var events: [[any PGEncodable]] {
            func event(_ at: Date, _ entity: String, _ kind: String, _ from: String?, _ to: String?, _ data: String? = nil) -> [any PGEncodable] {
                [at, "bench", entity, entity == "visit" ? visit : id, kind, from, to, data]
            }
            var events = [
                event(reported, "service_request", "created", nil, "new"),
                event(reported.addingTimeInterval(300), "service_request", "status_changed", "new", "triage"),
                event(reported.addingTimeInterval(600), "service_request", "status_changed", "triage", "dispatch_needed"),
                event(reported.addingTimeInterval(900), "service_request", "status_changed", "dispatch_needed", "scheduled"),
                event(arrived.addingTimeInterval(-1500), "visit", "status_changed", "dispatched", "en_route"),
                event(arrived, "visit", "status_changed", "en_route", "on_site"),
                event(arrived, "service_request", "status_changed", "scheduled", "in_progress"),
                event(departed, "visit", "status_changed", "on_site", heldForParts ? "incomplete" : "completed"),
            ]
            if heldForParts {
                events.append(event(departed, "service_request", "status_changed", "in_progress", "on_hold", #"{"hold_code": "waiting_for_parts"}"#))
                events.append(event(restored.addingTimeInterval(-3600), "service_request", "status_changed", "on_hold", "in_progress"))
            }
            events.append(event(restored, "service_request", "status_changed", "in_progress", "resolved"))
            events.append(event(restored.addingTimeInterval(3600), "service_request", "status_changed", "resolved", "closed"))
            return events
        }
    }
}
