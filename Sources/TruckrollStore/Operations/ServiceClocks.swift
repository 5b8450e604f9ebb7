import FoundationEssentials
import LibPQ
import TruckrollDomain

/// The clocks of service requests, computed when they are read: downtime, the customer's response and restore
/// SLA clocks in the contract's coverage calendar (paused while the customer is the one holding things up), and
/// the vendor's replacement commitment for each open RMA, with a warning when the vendor's part will arrive after
/// the restore is due.
enum ServiceClocks {
    /// Adds a `clocks` object to each request row, at `now`.
    static func decorate(_ rows: [JSONObject], now: Date, on connection: PGConnection) async throws -> [JSONObject] {
        let ids = rows.compactMap { $0["id"]?.integerValue }
        guard !ids.isEmpty else { return rows }
        var contracts = try await ContractTerms.load(Array(Set(rows.compactMap { $0["contract_id"]?.integerValue })), on: connection)
        let pauses = try await customerPauses(ids, now: now, on: connection)
        let vendorWaits = try await openRMAs(ids, on: connection)
        return rows.map { row in
            var row = row
            let terms = contracts.terms(contract: row["contract_id"]?.integerValue, timeZone: row["site_time_zone"]?.stringValue ?? "UTC",
                                        priority: row["priority"]?.stringValue)
            row["clocks"] = .object(clocks(for: row, terms: terms, pauses: pauses[row["id"]?.integerValue ?? 0] ?? [],
                                           rmas: vendorWaits[row["id"]?.integerValue ?? 0] ?? [], now: now))
            return row
        }
    }

    static func clocks(for row: JSONObject, terms: SLATerms?, pauses: [DateInterval], rmas: [VendorWait], now: Date) -> JSONObject {
        let reportedAt = row["reported_at"]?.stringValue.flatMap(Timestamp.parse) ?? now
        let restoredAt = row["restored_at"]?.stringValue.flatMap(Timestamp.parse)
        let firstOnSite = row["first_on_site_at"]?.stringValue.flatMap(Timestamp.parse)
        var clocks: JSONObject = [
            "downtime_minutes": .number(((restoredAt ?? now).timeIntervalSince(reportedAt) / 60).rounded()),
            "paused_minutes": .number((pauses.reduce(0) { $0 + $1.duration } / 60).rounded()),
            "response": .null, "restore": .null,
        ]
        var warnings: [JSONValue] = []
        var restoreDue: Date?
        if let terms {
            let (response, restore) = terms.clocks(reportedAt: reportedAt, firstOnSite: firstOnSite, restoredAt: restoredAt, pauses: pauses, now: now)
            for (name, clock, minutes) in [("response", response, terms.responseMinutes), ("restore", restore, terms.restoreMinutes)] {
                guard let clock, let minutes else { continue }
                clocks[name] = .object([
                    "target_minutes": .number(Double(minutes)), "due": .string(Timestamp.format(clock.due)),
                    "met_at": clock.stoppedAt.map { .string(Timestamp.format($0)) } ?? .null,
                    "remaining_minutes": .number(clock.remainingCoveredMinutes.rounded()),
                    "breached": .bool(clock.isBreached), "at_risk": .bool(clock.isAtRisk),
                ])
            }
            if restoredAt == nil { restoreDue = restore?.due }
        }
        clocks["vendor"] = .array(rmas.map { wait in
            var vendor: JSONObject = ["rma_id": .number(Double(wait.rmaID)), "eta": wait.eta.map { .string(Timestamp.format($0)) } ?? .null, "due": .null]
            if let hours = wait.replacementHours, let calendar = wait.calendar {
                let due = calendar.due(after: wait.requestedAt, coveredMinutes: Int((hours * 60).rounded()))
                vendor["due"] = .string(Timestamp.format(due))
                vendor["late"] = .bool((wait.eta ?? now) > due)
            }
            if let eta = wait.eta, let restoreDue, eta > restoreDue {
                warnings.append(.string("RMA \(wait.rmaID): the part arrives \(Timestamp.format(eta)), after the restore is due \(Timestamp.format(restoreDue))"))
            }
            return .object(vendor)
        })
        clocks["warnings"] = .array(warnings)
        return clocks
    }

    /// Intervals each request spent on hold for the customer (waiting for the customer, site closed).
    static func customerPauses(_ ids: [Int], now: Date, on connection: PGConnection) async throws -> [Int: [DateInterval]] {
        try await HoldHistory.holds(ids, until: now, on: connection).mapValues { holds in
            holds.filter { ServiceRequestRules.pausingHoldCodes.contains($0.code) }.map(\.interval)
        }
    }

    /// An open RMA a request waits on, with the vendor's commitment.
    struct VendorWait {
        let rmaID: Int
        let requestedAt: Date
        let eta: Date?
        let replacementHours: Double?
        let calendar: CoverageCalendar?
    }

    static func openRMAs(_ ids: [Int], on connection: PGConnection) async throws -> [Int: [VendorWait]] {
        let rows = try await connection.query("""
            SELECT a.service_request_id, a.id, a.created_at, a.eta, c.replacement_business_hours::float8, v.business_hours::text, v.time_zone
            FROM rma a JOIN vendor v ON v.id = a.vendor_id LEFT JOIN vendor_contract c ON c.id = a.vendor_contract_id
            WHERE a.service_request_id = ANY(\(ids)) AND a.status IN ('requested', 'approved', 'shipped')
            ORDER BY a.id
            """)
        var waits: [Int: [VendorWait]] = [:]
        for row in rows {
            let (requestID, rmaID, createdAt, eta, hours, businessHours, timeZone) =
                try row.decode((Int, Int, Date, Date?, Double?, String, String).self)
            let calendar = JSONValue(parsing: businessHours).flatMap { CoverageCalendar(businessHours: $0, timeZoneIdentifier: timeZone) }
            waits[requestID, default: []].append(VendorWait(rmaID: rmaID, requestedAt: createdAt, eta: eta, replacementHours: hours, calendar: calendar))
        }
        return waits
    }
}

/// What a customer contract promises one call: the calendar its clocks run in and the targets for its priority.
struct SLATerms {
    let calendar: CoverageCalendar
    let responseMinutes: Int?
    let restoreMinutes: Int?

    /// The response clock (stopped by the first arrival, else the restore) and the restore clock, each when targeted.
    func clocks(reportedAt: Date, firstOnSite: Date?, restoredAt: Date?, pauses: [DateInterval], now: Date) -> (response: SLAClock?, restore: SLAClock?) {
        func clock(_ minutes: Int?, stoppedAt: Date?) -> SLAClock? {
            minutes.map { SLAClock.evaluate(calendar: calendar, start: reportedAt, targetMinutes: $0, pauses: pauses, stoppedAt: stoppedAt, now: now) }
        }
        return (clock(responseMinutes, stoppedAt: firstOnSite ?? restoredAt), clock(restoreMinutes, stoppedAt: restoredAt))
    }
}

/// Customer contracts' coverage and targets, read once for many calls, with one calendar per contract and time zone
/// so that a calendar's days are worked out once for all the calls under it.
struct ContractTerms {
    private let contracts: [Int: (coverage: JSONValue, targets: JSONValue)]
    private var calendars: [String: CoverageCalendar?] = [:]

    static func load(_ ids: [Int], on connection: PGConnection) async throws -> ContractTerms {
        var contracts: [Int: (coverage: JSONValue, targets: JSONValue)] = [:]
        for row in try await connection.query("SELECT id, coverage::text, targets::text FROM service_contract WHERE id = ANY(\(ids))") {
            let (id, coverage, targets) = try row.decode((Int, String, String).self)
            contracts[id] = (JSONValue(parsing: coverage) ?? .null, JSONValue(parsing: targets) ?? .null)
        }
        return ContractTerms(contracts: contracts)
    }

    /// The terms for a call under contract `id` at a site in `timeZone`; nil without a contract, a valid calendar or
    /// targets for the priority.
    mutating func terms(contract id: Int?, timeZone: String, priority: String?) -> SLATerms? {
        guard let id, let (coverage, targets) = contracts[id], case .object(let byPriority) = targets, let priority,
              case .object(let target)? = byPriority[priority] else { return nil }
        let key = "\(id) \(timeZone)"
        let calendar = calendars[key] ?? CoverageCalendar(coverage: coverage, timeZoneIdentifier: timeZone)
        calendars[key] = calendar
        guard let calendar else { return nil }
        return SLATerms(calendar: calendar, responseMinutes: target["response_minutes"]?.integerValue,
                        restoreMinutes: target["restore_minutes"]?.integerValue)
    }
}

/// When each call was on hold and why, from the event log: the one reading of holds that clocks and reports share.
enum HoldHistory {
    /// A stretch on hold.
    struct Hold {
        let code: String
        let interval: DateInterval
    }

    /// Each call's holds, in order; a hold still open ends at `end`.
    static func holds(_ ids: [Int], until end: Date, on connection: PGConnection) async throws -> [Int: [Hold]] {
        let rows = try await connection.query("""
            SELECT entity_id, at, from_status, to_status, data->>'hold_code' FROM event
            WHERE entity = 'service_request' AND entity_id = ANY(\(ids)) AND (to_status = 'on_hold' OR from_status = 'on_hold')
            ORDER BY entity_id, id
            """)
        var holds: [Int: [Hold]] = [:]
        var open: [Int: (code: String, since: Date)] = [:]
        for row in rows {
            let (id, at, from, to, code) = try row.decode((Int, Date, String?, String?, String?).self)
            if from == "on_hold", let hold = open.removeValue(forKey: id) {
                holds[id, default: []].append(Hold(code: hold.code, interval: DateInterval(start: hold.since, end: max(hold.since, at))))
            }
            if to == "on_hold", let code { open[id] = (code, at) }
        }
        for (id, hold) in open {
            holds[id, default: []].append(Hold(code: hold.code, interval: DateInterval(start: hold.since, end: max(hold.since, end))))
        }
        return holds
    }
}
