import FoundationEssentials
import LibPQ
import TruckrollDomain

/// What one call's SLA clocks came to, as the `sla` report counts them (`docs/metrics.md`).
struct SLAOutcome: Equatable {
    /// Where a clock stands.
    enum Standing: String {
        case met, breached
        /// Not met and not yet due (a restore clock only; a response still waiting is counted nowhere).
        case running
    }

    /// The response clock: met, breached, or nil (no target, or waiting and not yet late).
    var response: Standing?
    /// The restore clock: met, breached, running, or nil (no target).
    var restore: Standing?
    /// Why a breached restore was late: `own_dispatch`, `waiting_for_parts` or `waiting_for_vendor`.
    var breachCause: String?

    /// The outcome of a call's clocks.
    /// - Parameters:
    ///   - response: The response clock, when the contract targets one.
    ///   - restore: The restore clock, when the contract targets one.
    ///   - waits: The call's minutes on hold, by hold code.
    init(response: SLAClock?, restore: SLAClock?, waits: [String: Double]) {
        if let response {
            self.response = response.isBreached ? .breached : response.stoppedAt != nil ? .met : nil
        }
        guard let restore else { return }
        if restore.isBreached {
            self.restore = .breached
            // Over by this many covered minutes; a wait at least that long is what made the difference.
            let over = -restore.remainingCoveredMinutes.rounded()
            let external = ["waiting_for_parts", "waiting_for_vendor"].map { ($0, waits[$0] ?? 0) }.max { $0.1 < $1.1 }
            if let (cause, minutes) = external, minutes > 0, minutes >= over { breachCause = cause } else { breachCause = "own_dispatch" }
        } else {
            self.restore = restore.stoppedAt != nil ? .met : .running
        }
    }

    /// An outcome read back from `sla_outcome`.
    init(response: Standing?, restore: Standing?, breachCause: String?) {
        self.response = response
        self.restore = restore
        self.breachCause = breachCause
    }
}

/// The calls of one `sla` report, with their contracts' and sites' details.
struct SLACall {
    let id: Int
    let contractID: Int
    let priority: String
    let reportedAt: Date
    let firstOnSite: Date?
    let restoredAt: Date?
    let timeZone: String

    /// The outcome of each call's clocks at `now`, from the contracts' terms and the holds in the event log: the one
    /// computation behind both the report and its stored summary.
    static func outcomes(_ calls: [SLACall], now: Date, on connection: PGConnection) async throws -> [Int: SLAOutcome] {
        var contracts = try await ContractTerms.load(Array(Set(calls.map(\.contractID))), on: connection)
        let holds = try await HoldHistory.holds(calls.map(\.id), until: now, on: connection)
        var outcomes: [Int: SLAOutcome] = [:]
        outcomes.reserveCapacity(calls.count)
        for call in calls {
            let onHold = holds[call.id] ?? []
            let pauses = onHold.filter { ServiceRequestRules.pausingHoldCodes.contains($0.code) }.map(\.interval)
            let clocks = contracts.terms(contract: call.contractID, timeZone: call.timeZone, priority: call.priority)?
                .clocks(reportedAt: call.reportedAt, firstOnSite: call.firstOnSite, restoredAt: call.restoredAt, pauses: pauses, now: now)
            outcomes[call.id] = SLAOutcome(
                response: clocks?.response, restore: clocks?.restore,
                waits: onHold.reduce(into: [:]) { minutes, hold in minutes[hold.code, default: 0] += hold.interval.duration / 60 })
        }
        return outcomes
    }
}

/// The `sla` report's stored summary: the final outcome of every restored call under contract, so that the report
/// counts them with one aggregate instead of evaluating each call's clocks again. A stored outcome counts only while
/// the call's and its contract's versions and its site's time zone are those it was computed from; the report
/// computes every other call directly, so the summary changes how fast the report is, never what it says.
public struct SLAOutcomeStore: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// Joins each call of `calls` (rows with `id`, `request_version`, `contract_version`, `site_time_zone`) to its
    /// stored outcome, when that outcome is current.
    static func join(_ calls: PGQuery) -> PGQuery {
        "(" + calls + """
            ) calls LEFT JOIN sla_outcome o ON o.service_request_id = calls.id AND o.request_version = calls.request_version
                AND o.contract_version = calls.contract_version AND o.time_zone = calls.site_time_zone
            """
    }

    /// True for a call whose clocks had both stopped by `now` and whose stored outcome is current.
    static func settled(by now: Date) -> PGQuery {
        "(o.service_request_id IS NOT NULL AND calls.restored_at <= \(now) AND coalesce(calls.first_on_site_at, calls.restored_at) <= \(now))"
    }

    /// The calls to summarise: restored, under contract, without a current stored outcome.
    private static let unsettled: PGQuery = """
        SELECT r.id, r.contract_id, r.priority, r.reported_at, r.first_on_site_at, r.restored_at, s.time_zone,
            r.version, k.version
        FROM service_request r JOIN site s ON s.id = r.site_id JOIN service_contract k ON k.id = r.contract_id
        LEFT JOIN sla_outcome o ON o.service_request_id = r.id AND o.request_version = r.version
            AND o.contract_version = k.version AND o.time_zone = s.time_zone
        WHERE r.restored_at IS NOT NULL AND r.restored_at <= now() AND coalesce(r.first_on_site_at, r.restored_at) <= now()
            AND o.service_request_id IS NULL
        """

    /// Computes and stores the outcome of every restored call under contract whose stored outcome is missing or
    /// out of date, `batchSize` calls per transaction. Concurrent refreshes (several API processes) take turns.
    /// - Returns: The number of outcomes written.
    @discardableResult
    public func refresh(batchSize: Int = 5000) async throws -> Int {
        var written = 0, after = 0
        while true {
            let (count, last) = try await pool.withTransaction { connection -> (Int, Int?) in
                let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(hashtext('truckroll.sla_outcome'))")
                    .first?.decode(Bool.self) ?? false
                guard locked else { return (0, nil) }
                let rows = try await connection.query(Self.unsettled + " AND r.id > \(after) ORDER BY r.id LIMIT \(batchSize)")
                let calls = try rows.map { row in
                    let (id, contract, priority, reportedAt, firstOnSite, restoredAt, timeZone, requestVersion, contractVersion) =
                        try row.decode((Int, Int, String, Date, Date?, Date?, String, Int, Int).self)
                    return (SLACall(id: id, contractID: contract, priority: priority, reportedAt: reportedAt, firstOnSite: firstOnSite,
                                    restoredAt: restoredAt, timeZone: timeZone), requestVersion, contractVersion)
                }
                guard let last = calls.last?.0.id else { return (0, nil) }
                let outcomes = try await SLACall.outcomes(calls.map(\.0), now: Date(), on: connection)
                let stored = calls.map { call in outcomes[call.0.id] ?? SLAOutcome(response: nil, restore: nil, breachCause: nil) }
                try await connection.execute("""
                    INSERT INTO sla_outcome AS o (service_request_id, request_version, contract_version, time_zone, response, restore, breach_cause)
                    SELECT id, request_version, contract_version, time_zone, nullif(response, ''), nullif(restore, ''), nullif(cause, '')
                    FROM unnest(\(calls.map(\.0.id))::bigint[], \(calls.map(\.1))::bigint[], \(calls.map(\.2))::bigint[],
                        \(calls.map(\.0.timeZone))::text[], \(stored.map { $0.response?.rawValue ?? "" })::text[],
                        \(stored.map { $0.restore?.rawValue ?? "" })::text[], \(stored.map { $0.breachCause ?? "" })::text[])
                        AS t(id, request_version, contract_version, time_zone, response, restore, cause)
                    ON CONFLICT (service_request_id) DO UPDATE SET request_version = excluded.request_version,
                        contract_version = excluded.contract_version, time_zone = excluded.time_zone, response = excluded.response,
                        restore = excluded.restore, breach_cause = excluded.breach_cause, refreshed_at = now()
                    """)
                return (calls.count, last)
            }
            written += count
            guard let last, count == batchSize else { return written }
            after = last
        }
    }
}
