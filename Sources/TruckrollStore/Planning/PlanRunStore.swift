import FoundationEssentials
import LibPQ
import TruckrollDomain
import TruckrollPlanning

/// Planning runs: dispatchers queue them, workers claim and solve them, dispatchers review and apply them.
///
/// A run is claimed with `FOR UPDATE SKIP LOCKED`, so any number of workers share the queue without two solving the
/// same run; a worker beats `heartbeat_at` while it solves, and a run whose heartbeat is older than `staleAfter` is
/// claimed again (its worker crashed). After `maximumAttempts` claims the run fails.
public struct PlanRunStore: Sendable {
    let pool: PGPool
    /// The travel model plans and the board use.
    public let travel: any TravelModel

    /// Claims after which a run that keeps losing its worker fails.
    public static let maximumAttempts = 3

    public init(pool: PGPool, travel: any TravelModel = GreatCircleTravel()) {
        self.pool = pool
        self.travel = travel
    }

    // MARK: dispatcher side

    static let readers: Set<Role> = [.admin, .dispatcher, .manager, .supportAgent]
    static let planners: Set<Role> = [.admin, .dispatcher]

    static func require(_ principal: Principal, in roles: Set<Role>, to action: String) throws {
        guard roles.contains(principal.role) else { throw RegistryError.forbidden("\(principal.role.rawValue)s may not \(action)") }
    }

    /// Queues a run from a `POST /v1/plans` body.
    /// - Returns: the run as `GET /v1/plans/{id}` shows it.
    public func create(_ body: JSONObject, as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.planners, to: "plan")
        var errors = PlanRequest.problems(with: body)
        guard errors.isEmpty else { throw RegistryError.invalid(errors) }
        let whatIf: JSONObject? = if case .object(let object)? = body["what_if"] { object } else { nil }
        let ids = Self.ids
        let technicianIDs = body["technician_ids"].flatMap { $0 == .null ? nil : ids($0) }
        return try await pool.withTransaction { connection in
            for (field, wanted) in [("technician_ids", technicianIDs ?? []), ("what_if.unavailable_technician_ids", ids(whatIf?["unavailable_technician_ids"])),
                                    ("what_if.extra_technicians_like", ids(whatIf?["extra_technicians_like"]))] where !wanted.isEmpty {
                let found = Set(try await connection.query("SELECT id FROM technician WHERE id = ANY(\(wanted))").map { try $0.decode(Int.self, at: 0) })
                if let missing = wanted.first(where: { !found.contains($0) }) {
                    errors.append(FieldError(field: field, message: "technician \(missing) does not exist"))
                }
            }
            guard errors.isEmpty else { throw RegistryError.invalid(errors) }
            let repair = body["repair"] == .bool(true)
            let kind = whatIf != nil ? "what_if" : repair ? "repair" : "plan"
            let horizonStart = body["horizon_start"]?.stringValue.flatMap(Timestamp.parse)
            let whatIfText = whatIf.map(RegistryStore.encoded)
            let rows = try await connection.query("""
                INSERT INTO plan_run (kind, requested_by_user_id, horizon_start, horizon_minutes, technician_ids, time_limit_seconds,
                    disruption_budget, frozen_minutes, what_if, seed)
                VALUES (\(kind), \(principal.userID == 0 ? nil : principal.userID), \(horizonStart),
                    \(body["horizon_minutes"]?.integerValue ?? 1_440), \(technicianIDs), \(body["time_limit_seconds"]?.numberValue ?? 10),
                    \(body["disruption_budget"]?.integerValue), \(body["frozen_minutes"]?.integerValue ?? 60), \(whatIfText)::jsonb,
                    \(body["seed"]?.integerValue ?? 1))
                RETURNING id
                """)
            return try await Self.document(try rows[0].decode(Int.self, at: 0), full: true, on: connection)
        }
    }

    /// The run with its plan for review and the changes applying it writes (`full`), or its summary.
    static func document(_ id: Int, full: Bool, on connection: PGConnection) async throws -> String {
        let rows = try await connection.query("""
            SELECT (to_jsonb(p) || CASE WHEN \(full) THEN jsonb_build_object('result', r.result, 'changes', r.changes) ELSE '{}' END)::text
            FROM api_plans p JOIN plan_run r USING (id) WHERE p.id = \(id)
            """)
        guard let row = rows.first else { throw RegistryError.notFound(resource: "plans", id: id) }
        return try row.decode(String.self, at: 0)
    }

    /// One run, in full.
    public func get(_ id: Int, as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.readers, to: "read plans")
        return try await pool.withConnection { try await Self.document(id, full: true, on: $0) }
    }

    /// The latest runs, newest first, optionally of one status.
    public func list(status: String?, limit: Int, as principal: Principal) async throws -> [String] {
        try Self.require(principal, in: Self.readers, to: "read plans")
        return try await pool.query("""
            SELECT to_jsonb(p)::text FROM api_plans p WHERE \(status)::text IS NULL OR status = \(status) ORDER BY id DESC LIMIT \(limit)
            """).map { try $0.decode(String.self, at: 0) }
    }

    /// The planning policy (what triggers repair runs and how they run).
    public func policy(as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.readers, to: "read the planning policy")
        return try await pool.query("SELECT (to_jsonb(p) - 'id')::text FROM planning_policy p")[0].decode(String.self, at: 0)
    }

    /// Changes the planning policy.
    public func updatePolicy(_ body: JSONObject, as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.planners, to: "change the planning policy")
        let errors = PlanningPolicyFields.problems(with: body)
        guard errors.isEmpty else { throw RegistryError.invalid(errors) }
        return try await pool.query("""
            UPDATE planning_policy SET
                replan_on_events = coalesce(\(body["replan_on_events"]?.boolValue), replan_on_events),
                auto_apply = coalesce(\(body["auto_apply"]?.boolValue), auto_apply),
                repair_horizon_minutes = coalesce(\(body["repair_horizon_minutes"]?.integerValue), repair_horizon_minutes),
                repair_time_limit_seconds = coalesce(\(body["repair_time_limit_seconds"]?.numberValue), repair_time_limit_seconds),
                repair_disruption_budget = CASE WHEN \(body.keys.contains("repair_disruption_budget"))
                    THEN \(body["repair_disruption_budget"]?.integerValue) ELSE repair_disruption_budget END,
                frozen_minutes = coalesce(\(body["frozen_minutes"]?.integerValue), frozen_minutes),
                late_after_minutes = coalesce(\(body["late_after_minutes"]?.integerValue), late_after_minutes)
            RETURNING (to_jsonb(planning_policy) - 'id')::text
            """)[0].decode(String.self, at: 0)
    }

    /// The booked visits of the next `hours` per technician, with downtime cost and SLA status, and their figures.
    public func board(hours: Int, as principal: Principal) async throws -> String {
        try Self.require(principal, in: Self.readers, to: "read the board")
        let snapshot = try await pool.withTransaction(isolation: .repeatableRead, readOnly: true) { connection in
            let now = try await connection.query("SELECT now()")[0].decode(Date.self, at: 0)
            return try await PlanningSnapshotLoader.load(horizon: DateInterval(start: now, duration: Double(hours) * 3600), now: now,
                                                         technicianIDs: nil, on: connection)
        }
        struct Board: Encodable {
            let horizonStart: Date
            let horizonEnd: Date
            let kpis: PlanKPIs
            let routes: [RouteReview]
        }
        let (routes, kpis) = PlanningProblem(snapshot: snapshot, travel: travel).currentBoard()
        return String(decoding: try Self.encoder.encode(Board(horizonStart: snapshot.horizon.start, horizonEnd: snapshot.horizon.end,
                                                              kpis: kpis, routes: routes)), as: UTF8.self)
    }

    // MARK: worker side

    /// A run a worker has claimed.
    public struct ClaimedRun: Sendable {
        public let id: Int
        public let kind: String
        public let horizon: DateInterval
        public let technicianIDs: [Int]?
        public let options: PlanningOptions
        public let whatIf: WhatIf?
        public let autoApply: Bool
    }

    /// Claims the oldest queued run, or one whose worker stopped beating for `staleAfter`; `nil` when there is none.
    public func claimNext(worker: String, staleAfter: Duration) async throws -> ClaimedRun? {
        let staleSeconds = staleAfter / .seconds(1)
        return try await pool.withTransaction { connection in
            while true {
                let rows = try await connection.query("""
                    UPDATE plan_run SET status = 'running', worker = \(worker), attempts = attempts + 1, started_at = now(),
                        heartbeat_at = now(), horizon_start = coalesce(horizon_start, date_trunc('minute', now()))
                    WHERE id = (
                        SELECT id FROM plan_run
                        WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => \(staleSeconds)))
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING id, kind, horizon_start, horizon_minutes, technician_ids, time_limit_seconds, disruption_budget,
                        frozen_minutes, what_if::text, auto_apply, seed, attempts
                    """)
                guard let row = rows.first else { return nil }
                let (id, kind, start, minutes, technicians, timeLimit, budget, frozen) =
                    try row.decode((Int, String, Date, Int, [Int]?, Double, Int?, Int).self)
                let (whatIfText, autoApply, seed, attempts) = (try row.decode(String?.self, at: 8), try row.decode(Bool.self, at: 9),
                                                               try row.decode(Int.self, at: 10), try row.decode(Int.self, at: 11))
                if attempts > Self.maximumAttempts {
                    try await connection.execute("""
                        UPDATE plan_run SET status = 'failed', finished_at = now(),
                            error = \("its workers stopped \(Self.maximumAttempts) times while solving it") WHERE id = \(id)
                        """)
                    continue
                }
                let whatIf = whatIfText.flatMap(JSONValue.init(parsing:)).map(Self.whatIf)
                return ClaimedRun(
                    id: id, kind: kind, horizon: DateInterval(start: start, duration: Double(minutes) * 60), technicianIDs: technicians,
                    options: PlanningOptions(repair: kind == "repair", frozenMinutes: Double(frozen), disruptionBudget: budget,
                                             timeLimitSeconds: timeLimit, seed: UInt64(max(0, seed))),
                    whatIf: whatIf, autoApply: autoApply && kind == "repair")
            }
        }
    }

    /// The ids of a JSON array (none for anything else).
    static func ids(_ value: JSONValue?) -> [Int] {
        value?.arrayValue?.compactMap(\.integerValue) ?? []
    }

    static func whatIf(_ json: JSONValue) -> WhatIf {
        guard case .object(let fields) = json else { return WhatIf() }
        return WhatIf(unavailableTechnicianIDs: Set(ids(fields["unavailable_technician_ids"])), extraTechniciansLike: ids(fields["extra_technicians_like"]),
                      disruptionBudget: fields["disruption_budget"]?.integerValue)
    }

    /// Reads the live state the run plans from (without the run's what-if changes).
    public func snapshot(for run: ClaimedRun) async throws -> PlanningSnapshot {
        try await pool.withTransaction(isolation: .repeatableRead, readOnly: true) { connection in
            let now = try await connection.query("SELECT now()")[0].decode(Date.self, at: 0)
            let horizon = DateInterval(start: max(run.horizon.start, now), end: max(run.horizon.end, now.addingTimeInterval(3600)))
            return try await PlanningSnapshotLoader.load(horizon: horizon, now: max(now, run.horizon.start), technicianIDs: run.technicianIDs,
                                                         on: connection)
        }
    }

    /// Records progress and beats the heartbeat. Returns `false` when the run is no longer this worker's (it was
    /// claimed again after a stall, or cancelled): the worker then stops.
    public func reportProgress(run: Int, worker: String, elapsedSeconds: Double, initialObjective: Double?, bestObjective: Double?) async throws -> Bool {
        try await pool.query("""
            UPDATE plan_run SET heartbeat_at = now(), elapsed_seconds = \(elapsedSeconds),
                initial_objective = coalesce(\(initialObjective), initial_objective), best_objective = coalesce(\(bestObjective), best_objective)
            WHERE id = \(run) AND worker = \(worker) AND status = 'running' RETURNING id
            """).count == 1
    }

    /// Stores the solved plan.
    public func finish(run: Int, worker: String, outcome: PlanningOutcome, elapsedSeconds: Double) async throws -> Bool {
        let encoder = Self.encoder
        let result = String(decoding: try encoder.encode(outcome.review), as: UTF8.self)
        let changes = String(decoding: try encoder.encode(outcome.changes), as: UTF8.self)
        return try await pool.query("""
            UPDATE plan_run SET status = 'done', finished_at = now(), heartbeat_at = now(), elapsed_seconds = \(elapsedSeconds),
                initial_objective = \(outcome.initialObjective), best_objective = \(outcome.review.objective),
                result = \(result)::jsonb, changes = \(changes)::jsonb
            WHERE id = \(run) AND worker = \(worker) AND status = 'running' RETURNING id
            """).count == 1
    }

    /// Marks the run failed with a message for the dispatcher.
    public func fail(run: Int, worker: String, message: String) async throws {
        _ = try await pool.query("""
            UPDATE plan_run SET status = 'failed', finished_at = now(), error = \(message)
            WHERE id = \(run) AND worker = \(worker) AND status = 'running'
            """)
    }

    /// Queues a repair run when a planned or dispatched visit has not started `late_after_minutes` after its
    /// planned start (once per visit: the trigger reason names it).
    public func queueRepairForLateVisits() async throws {
        try await pool.withTransaction { connection in
            let late = try await connection.query("""
                SELECT v.id FROM visit v, planning_policy p
                WHERE v.status IN ('planned', 'dispatched') AND v.planned_start < now() - make_interval(mins => p.late_after_minutes)
                    AND p.replan_on_events
                    AND NOT EXISTS (SELECT 1 FROM plan_run r WHERE r.trigger = 'visit_late' AND r.trigger_reason = 'visit ' || v.id || ' is running late')
                ORDER BY v.planned_start LIMIT 1
                """)
            guard let visit = try late.first?.decode(Int.self, at: 0) else { return }
            try await connection.execute("SELECT queue_repair_run('visit_late', \("visit \(visit) is running late"))")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }()
}
