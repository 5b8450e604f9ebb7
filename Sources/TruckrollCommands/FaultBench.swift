import ArgumentParser
import Foundation
import LibPQ
import Logging
import Synchronization
import TruckrollClient
import TruckrollDomain
import TruckrollSample
import TruckrollServer
import TruckrollStore

#if canImport(Glibc)
import Glibc
#endif

/// `truckroll bench faults`: the real server under a mixed workload while its PostgreSQL crashes and restarts, then
/// while a hot table is locked; prints what the clients saw and checks the final database against every
/// acknowledged write.
struct FaultBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Crashes and a stuck database under load: lost writes, duplicates, recovery time, latency, memory.",
        discussion: """
            Starts a private PostgreSQL with production durability (fsync on) in a temporary directory, loads the \
            demo sample business, and runs `truckroll serve` (this binary) on it. Technicians move their visits \
            (en route and back), dispatchers book visits with an Idempotency-Key, the vendor coordinator updates RMAs \
            and a monitoring feed sends device alerts; every client retries on 503, 429 and dropped connections with \
            the same Idempotency-Key or If-Match. Meanwhile PostgreSQL is killed (pg_ctl stop -m immediate) and \
            started again --restarts times. Then a session locks the visit table and sleeps while the same clients \
            and a pool-exhausting crowd keep asking. Lines start with "faults:"; the exit status is 1 when a check \
            fails: a lost or duplicated write, recovery over 10 s, a request past the deadline, or a 5xx other than \
            503 with Retry-After.
            """
    )

    @Option(help: "Times PostgreSQL is killed and started again.")
    var restarts = 10

    @Option(help: "Seconds of load before each kill, and after the last restart.")
    var upSeconds = 5.0

    @Option(help: "Seconds PostgreSQL stays down each time.")
    var downSeconds = 2.0

    @Option(help: "Clients of each kind: technicians, dispatchers, RMA updaters, alert feeds.")
    var clients = 3

    @Option(help: "The server's request deadline in milliseconds (TRUCKROLL_HTTP_REQUEST_TIMEOUT_MS).")
    var requestTimeoutMs = 3000

    @Option(help: "Seconds the visit table stays locked in the stuck-database phase (0 skips it).")
    var lockSeconds = 10.0

    @Option(help: "The truckroll binary to serve with (default: this one).")
    var executable: String?

    func validate() throws {
        guard restarts >= 0, upSeconds > 0, downSeconds >= 0, clients > 0, requestTimeoutMs > 0, lockSeconds >= 0 else {
            throw ValidationError("--restarts, --down-seconds and --lock-seconds must not be negative; the others must be positive")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let environment = ProcessInfo.processInfo.environment
            let logger = makeLogger(level: .error)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-faults-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let migrationsDirectory = try TruckrollConfiguration(environment: environment).migrationsDirectory

            let postgres = try await EmbeddedPostgres.start(
                options: .init(dataDirectory: directory + "/postgres", durable: true), environment: environment, logger: logger
            )
            var server: ServedProcess?
            let passed: Bool
            do {
                let fsync = try await PGConnection.withConnection(configuration: postgres.configuration) { try await $0.query("SHOW fsync")[0].decode(String.self, at: 0) }
                try await MigrationRunner(configuration: postgres.configuration, migrations: try Migration.load(directory: migrationsDirectory),
                                          logger: logger).migrate()
                let fixture = try await FaultFixture.prepare(postgres.configuration, clients: clients, logger: logger)
                server = try await ServedProcess.start(
                    executable: executable ?? Self.currentExecutable(), database: postgres.configuration, directory: directory,
                    requestTimeoutMs: requestTimeoutMs, migrationsDirectory: migrationsDirectory
                )
                print("faults: PostgreSQL fsync=\(fsync), \(fixture.summary); server \(server!.base), request deadline \(requestTimeoutMs) ms")
                passed = try await exercise(postgres: postgres, server: server!, fixture: fixture)
            } catch {
                _ = await server?.stop()
                try? await postgres.stop()
                throw error
            }
            _ = await server?.stop()
            try? await postgres.stop()
            if !passed { throw ExitCode.failure }
        }
    }

    private static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Both phases; `true` when every check held.
    private func exercise(postgres: RunningPostgres, server: ServedProcess, fixture: FaultFixture) async throws -> Bool {
        let recorder = ResponseRecorder()
        let stop = OnceFlag()
        let base = server.base
        let api: @Sendable (String) -> APIClient = { APIClient(server: base, token: $0) }
        let deadline = Duration.milliseconds(requestTimeoutMs)
        let rssStart = server.residentKilobytes()

        let workload = FaultWorkload(fixture: fixture, recorder: recorder, api: api)
        let (tally, windows) = try await withThrowingTaskGroup(of: WorkloadTally.self, returning: (WorkloadTally, [OutageWindow]).self) { group in
            for task in workload.tasks(stop: stop) { group.addTask(operation: task) }
            var windows: [OutageWindow] = []
            for restart in 0..<restarts {
                try await Task.sleep(for: .seconds(upSeconds))
                let crashed = ContinuousClock.now
                try await postgres.crash()
                try await Task.sleep(for: .seconds(downSeconds))
                try await postgres.restart()
                let ready = ContinuousClock.now
                let recovered = try await recorder.firstSuccess(startedAfter: ready, within: .seconds(60))
                let window = OutageWindow(crashed: crashed, ready: ready, recovered: recovered)
                windows.append(window)
                let seen = recorder.summary(between: crashed, and: recovered)
                print("faults: restart \(restart + 1): down \(decimal((ready - crashed).seconds, 1)) s, first 2xx "
                    + "\(decimal((recovered - ready).seconds, 2)) s after PostgreSQL was ready; until then \(seen.count) answers "
                    + "(\(seen.statusText)), max latency \(decimal(seen.maxLatency.seconds, 3)) s")
            }
            try await Task.sleep(for: .seconds(upSeconds))
            stop.raise()
            var tally = WorkloadTally()
            for try await part in group { tally.merge(part) }
            return (tally, windows)
        }
        let rssAfterCrashes = server.residentKilobytes()
        let check = try await FaultChecker(configuration: postgres.configuration, fixture: fixture).check(tally)

        let all = recorder.summaryOfAll()
        let recoveries = windows.map { ($0.recovered - $0.ready).seconds }
        let outageLatency = windows.map { recorder.summary(between: $0.crashed, and: $0.recovered).maxLatency }.max() ?? .zero
        print("faults: \(restarts) restarts; \(tally.acknowledged) writes acknowledged (\(tally.visitMoveCount) visit moves, "
            + "\(tally.bookings.count) bookings, \(tally.rmaUpdateCount) RMA updates, \(tally.alerts.count) alerts) after \(tally.retries) retries, "
            + "\(tally.replays) of them answered as replays of a create already written")
        print("faults: lost \(check.lost.count), duplicated \(check.duplicated.count); first 2xx after PostgreSQL is ready: max "
            + "\(decimal(recoveries.max() ?? 0, 2)) s, median \(decimal(median(recoveries), 2)) s; max latency while down "
            + "\(decimal(outageLatency.seconds, 3)) s (deadline \(decimal(deadline.seconds, 1)) s)")
        print("faults: all \(all.count) answers: \(all.statusText); max latency \(decimal(all.maxLatency.seconds, 3)) s")
        for problem in (check.lost + check.duplicated).prefix(10) { print("faults: FAILED: \(problem)") }

        var failures: [String] = []
        if !check.lost.isEmpty || !check.duplicated.isEmpty { failures.append("lost or duplicated writes") }
        if (recoveries.max() ?? 0) > 10 { failures.append("recovery over 10 s") }
        if all.maxLatency > deadline + .seconds(1) { failures.append("an answer later than the deadline") }
        if all.otherServerErrors > 0 || all.unavailableWithoutRetryAfter > 0 { failures.append("a 5xx other than 503 with Retry-After") }
        if lockSeconds > 0 {
            failures += try await stuckDatabase(postgres: postgres, server: server, fixture: fixture, deadline: deadline)
        }
        let rssEnd = server.residentKilobytes()
        print("faults: server memory (RSS): \(rssStart / 1024) MiB at start, \(rssAfterCrashes / 1024) MiB after the restarts, \(rssEnd / 1024) MiB at the end")
        print(failures.isEmpty ? "faults: passed" : "faults: FAILED: \(failures.joined(separator: "; "))")
        return failures.isEmpty
    }

    /// A session locks the visit table and sleeps; clients of visits, other endpoints and a crowd larger than the
    /// pool keep asking.
    /// - Returns: The checks that failed.
    private func stuckDatabase(postgres: RunningPostgres, server: ServedProcess, fixture: FaultFixture, deadline: Duration) async throws -> [String] {
        let dispatcher = APIClient(server: server.base, token: fixture.dispatcherTokens[0])
        let helpDesk = APIClient(server: server.base, token: fixture.alertTokens[0])
        let base = server.base
        /// Reads `path` (a page of `limit` rows when given) and records the answer.
        @Sendable func timed(_ client: APIClient, _ path: String, limit: Int? = nil, _ recorder: ResponseRecorder) async {
            let start = ContinuousClock.now
            do {
                let response = try await client.exchange("GET", path, query: limit.map { [("limit", String($0))] } ?? [], timeout: .seconds(60))
                recorder.record(start: start, status: response.status, retryAfter: response.headers["retry-after"] != nil,
                                type: (try? response.json())?.objectValue?["type"]?.stringValue)
            } catch {
                recorder.record(start: start, status: 0, retryAfter: false, type: nil)
            }
        }
        // The same endpoints before the lock, for reference.
        let before = ResponseRecorder(), beforeOther = ResponseRecorder()
        for _ in 0..<20 {
            await timed(dispatcher, "v1/visits", limit: 20, before)
            await timed(helpDesk, "v1/customers", limit: 20, beforeOther)
            await timed(helpDesk, "health", beforeOther)
        }
        let rssBefore = server.residentKilobytes()

        let hot = ResponseRecorder(), other = ResponseRecorder(), crowd = ResponseRecorder()
        let released = OnceFlag()
        var crowdArrived = ContinuousClock.now
        let lockSeconds = lockSeconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await PGConnection.withConnection(configuration: postgres.configuration) { connection in
                    try await connection.withTransaction { connection in
                        try await connection.execute("LOCK TABLE visit IN ACCESS EXCLUSIVE MODE")
                        try await connection.execute("SELECT pg_sleep(\(lockSeconds))")
                    }
                }
                released.raise()
            }
            try await Task.sleep(for: .milliseconds(300))
            group.addTask {
                while !released.isRaised {
                    await timed(dispatcher, "v1/visits", limit: 20, hot)
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            group.addTask {
                while !released.isRaised {
                    await timed(helpDesk, "v1/customers", limit: 20, other)
                    await timed(helpDesk, "health", other)
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            // Halfway through, a crowd three times the pool's size asks for visits at once: the pool runs dry.
            try await Task.sleep(for: .seconds(lockSeconds / 2))
            crowdArrived = .now
            for index in 0..<30 where !released.isRaised {
                let token = fixture.dispatcherTokens[index % fixture.dispatcherTokens.count]
                group.addTask { await timed(APIClient(server: base, token: token), "v1/visits", limit: 5, crowd) }
            }
            try await group.waitForAll()
        }
        let after = ResponseRecorder()
        for _ in 0..<5 { await timed(dispatcher, "v1/visits", limit: 20, after) }
        let rssAfter = server.residentKilobytes()

        let hotSummary = hot.summaryOfAll(), crowdSummary = crowd.summaryOfAll(), afterSummary = after.summaryOfAll()
        let otherSummary = other.summary { $0.start + $0.latency < crowdArrived }
        let otherInCrowdSummary = other.summary { $0.start + $0.latency >= crowdArrived }
        print("faults: visit table locked \(decimal(lockSeconds, 0)) s by a session that sleeps; GET /v1/visits: median "
            + "\(decimal(before.summaryOfAll().medianLatency.seconds, 3)) s before; while locked \(hotSummary.count) answers "
            + "(\(hotSummary.statusText)), latency median \(decimal(hotSummary.medianLatency.seconds, 3)) s, max \(decimal(hotSummary.maxLatency.seconds, 3)) s")
        print("faults: /health and /v1/customers meanwhile: median \(decimal(beforeOther.summaryOfAll().medianLatency.seconds, 3)) s before, "
            + "\(decimal(otherSummary.medianLatency.seconds, 3)) s while locked (max \(decimal(otherSummary.maxLatency.seconds, 3)) s; "
            + "\(otherSummary.statusText))")
        print("faults: a crowd of \(crowdSummary.count) requests on the locked table (pool of 10): \(crowdSummary.statusText), max latency "
            + "\(decimal(crowdSummary.maxLatency.seconds, 3)) s; other endpoints meanwhile: \(otherInCrowdSummary.statusText), max latency "
            + "\(decimal(otherInCrowdSummary.maxLatency.seconds, 3)) s; after the lock: \(afterSummary.statusText)")
        print("faults: server memory (RSS) \(rssBefore / 1024) MiB before the lock, \(rssAfter / 1024) MiB after")
        var failures: [String] = []
        let failsClearly = [hotSummary, crowdSummary, otherInCrowdSummary].allSatisfy {
            $0.otherServerErrors == 0 && $0.maxLatency <= deadline + .seconds(1)
        } && hotSummary.unavailableWithoutRetryAfter == 0 && crowdSummary.unavailableWithoutRetryAfter == 0
        if !failsClearly || hotSummary.statusCounts[503] == nil { failures.append("requests on the locked table did not fail with 503 within the deadline") }
        if otherSummary.count == 0 || !otherSummary.statusCounts.keys.allSatisfy({ $0 == 200 }) || otherSummary.maxLatency >= deadline {
            failures.append("other endpoints failed or slowed past the deadline while the table was locked")
        }
        if !otherInCrowdSummary.statusCounts.keys.allSatisfy({ $0 == 200 }) || otherInCrowdSummary.maxLatency >= deadline {
            failures.append("other endpoints failed or slowed past the deadline while a crowd waited on the locked table")
        }
        if !afterSummary.statusCounts.keys.allSatisfy({ $0 == 200 }) { failures.append("no 200 once the lock was gone") }
        return failures
    }
}

/// `value` with `digits` decimals.
private func decimal(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

/// A flag raised once, read from any task.
final class OnceFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    return values.sorted()[values.count / 2]
}

/// When PostgreSQL went down, was ready again, and the service answered 2xx again.
private struct OutageWindow: Sendable {
    let crashed: ContinuousClock.Instant
    let ready: ContinuousClock.Instant
    let recovered: ContinuousClock.Instant
}

/// Every answer the clients got: when the request started, how long it took, its status (0: no answer).
final class ResponseRecorder: Sendable {
    struct Entry {
        let start: ContinuousClock.Instant
        let latency: Duration
        let status: Int
        let retryAfter: Bool
        let type: String?
    }

    /// What a set of answers looked like.
    struct Summary {
        var count = 0
        var maxLatency = Duration.zero
        var medianLatency = Duration.zero
        var statusCounts: [Int: Int] = [:]
        var otherServerErrors = 0
        var unavailableWithoutRetryAfter = 0
        var types: Set<String> = []

        /// `200: 120, 503: 14 (timeout, unavailable), no answer: 2`.
        var statusText: String {
            statusCounts.sorted { $0.key < $1.key }.map { status, count in
                let name = status == 0 ? "no answer" : String(status)
                let kinds = status == 503 && !types.isEmpty ? " (\(types.sorted().joined(separator: ", ")))" : ""
                return "\(name): \(count)\(kinds)"
            }.joined(separator: ", ")
        }
    }

    private let entries = Mutex<[Entry]>([])

    func record(start: ContinuousClock.Instant, status: Int, retryAfter: Bool, type: String?) {
        let entry = Entry(start: start, latency: .now - start, status: status, retryAfter: retryAfter, type: type)
        entries.withLock { $0.append(entry) }
    }

    /// Every answer.
    func summaryOfAll() -> Summary {
        summarise(entries.withLock { $0 })
    }

    /// The answers `isIncluded` selects.
    func summary(where isIncluded: (Entry) -> Bool) -> Summary {
        summarise(entries.withLock { $0 }.filter(isIncluded))
    }

    /// The answers to requests started in `[from, to]`.
    func summary(between from: ContinuousClock.Instant, and to: ContinuousClock.Instant) -> Summary {
        summarise(entries.withLock { $0.filter { $0.start >= from && $0.start <= to } })
    }

    private func summarise(_ selected: [Entry]) -> Summary {
        var summary = Summary()
        summary.count = selected.count
        let latencies = selected.map(\.latency).sorted()
        summary.maxLatency = latencies.last ?? .zero
        summary.medianLatency = latencies.isEmpty ? .zero : latencies[latencies.count / 2]
        for entry in selected {
            summary.statusCounts[entry.status, default: 0] += 1
            if entry.status >= 500 && entry.status != 503 { summary.otherServerErrors += 1 }
            if entry.status == 503 {
                if !entry.retryAfter { summary.unavailableWithoutRetryAfter += 1 }
                if let type = entry.type?.split(separator: "/").last { summary.types.insert(String(type)) }
            }
        }
        return summary
    }

    /// The end of the first 2xx answer to a request started after `instant`.
    func firstSuccess(startedAfter instant: ContinuousClock.Instant, within limit: Duration) async throws -> ContinuousClock.Instant {
        let giveUp = ContinuousClock.now + limit
        while ContinuousClock.now < giveUp {
            let found = entries.withLock { entries in
                entries.filter { $0.start >= instant && (200..<300).contains($0.status) }.map { $0.start + $0.latency }.min()
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationError("the service did not answer 2xx within \(limit) of PostgreSQL being ready")
    }
}

/// The sample business and who works on it: tokens, the visits each technician moves, the calls and technicians
/// the dispatchers book, the RMAs and units.
struct FaultFixture: Sendable {
    struct VisitAssignment: Sendable {
        let visitID: Int
        let token: String
    }

    var technicianVisits: [VisitAssignment] = []
    var dispatcherTokens: [String] = []
    /// A call that takes visits, and a technician booked far ahead, per dispatcher.
    var bookings: [(requestID: Int, technicianID: Int)] = []
    var vendorToken = ""
    var rmaIDs: [Int] = []
    var alertTokens: [String] = []
    var serialNumbers: [String] = []
    var probeToken = ""
    /// Where the dispatchers' bookings begin: far ahead of today's plan.
    let bookingStart = Calendar(identifier: .gregorian).startOfDay(for: Date().addingTimeInterval(90 * 86_400))

    var summary: String {
        "demo sample loaded; \(technicianVisits.count) technicians, \(dispatcherTokens.count) dispatchers, "
            + "\(rmaIDs.count) RMA updaters, \(alertTokens.count) alert feeds"
    }

    /// Loads the demo sample into the empty database and picks the workload's records.
    static func prepare(_ database: PGConnectionConfiguration, clients: Int, logger: Logger) async throws -> FaultFixture {
        let pool = PGPool(configuration: database, options: .init(maxConnections: 4), logger: logger)
        do {
            let fixture = try await prepare(pool, clients: clients)
            await pool.shutdown()
            return fixture
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    private static func prepare(_ pool: PGPool, clients: Int) async throws -> FaultFixture {
        _ = try await SampleBusiness(size: .demo, seed: DemoData.seed, now: Date()).load(into: pool)
        // Bookings must not start planning runs: the benchmark measures the API, not the optimiser.
        try await pool.query("UPDATE planning_policy SET replan_on_events = false")
        let access = AccessStore(pool: pool)
        func token(_ username: String) async throws -> String {
            try await access.createToken(forUsername: username, name: "bench faults", expiresAt: Date().addingTimeInterval(86_400)).1.value
        }
        var fixture = FaultFixture()
        let visits = try await pool.query("""
            SELECT DISTINCT ON (v.technician_id) v.id, v.status, v.version, u.username
            FROM visit v JOIN app_user u ON u.technician_id = v.technician_id
            WHERE v.status IN ('planned', 'dispatched', 'en_route')
            ORDER BY v.technician_id, v.planned_start
            LIMIT \(clients)
            """)
        let transitions = TransitionStore(pool: pool)
        for row in visits {
            let (visitID, status, version, username) = try row.decode((Int, String, Int, String).self)
            if status == "planned" {
                _ = try await transitions.transition("visits", id: visitID, request: ["to": "dispatched"], expectedVersion: version, as: .operator)
            }
            fixture.technicianVisits.append(VisitAssignment(visitID: visitID, token: try await token(username)))
        }
        let calls = try await pool.query("SELECT id FROM service_request WHERE status = 'dispatch_needed' ORDER BY id LIMIT \(clients)")
        let technicians = try await pool.query("SELECT id FROM technician ORDER BY id DESC LIMIT \(clients)")
        for (call, technician) in zip(calls, technicians) {
            fixture.bookings.append((try call.decode(Int.self, at: 0), try technician.decode(Int.self, at: 0)))
            fixture.dispatcherTokens.append(try await token(SampleBusiness.Users.dispatcher))
        }
        fixture.vendorToken = try await token(SampleBusiness.Users.vendorCoordinator)
        fixture.rmaIDs = try await pool.query("""
            SELECT r.id FROM rma r JOIN app_user u ON u.vendor_id = r.vendor_id AND u.username = \(SampleBusiness.Users.vendorCoordinator)
            ORDER BY r.id LIMIT \(clients)
            """).map { try $0.decode(Int.self, at: 0) }
        fixture.serialNumbers = try await pool.query("""
            SELECT serial_number FROM unit WHERE status <> 'retired' ORDER BY id LIMIT \(clients)
            """).map { try $0.decode(String.self, at: 0) }
        for _ in fixture.serialNumbers { fixture.alertTokens.append(try await token(SampleBusiness.Users.helpDesk)) }
        fixture.probeToken = try await token(SampleBusiness.Users.manager)
        guard !fixture.technicianVisits.isEmpty, !fixture.bookings.isEmpty, !fixture.rmaIDs.isEmpty, !fixture.alertTokens.isEmpty else {
            throw ValidationError("the sample lacks visits, calls to book, RMAs of the vendor or units: \(fixture.summary)")
        }
        return fixture
    }
}

/// What the clients had acknowledged, to check against the database.
struct WorkloadTally: Sendable {
    /// The last acknowledged status of each moved visit.
    var visitMoves: [Int: String] = [:]
    /// Each acknowledged booking: its Idempotency-Key and the visit id the server answered with.
    var bookings: [String: Int] = [:]
    /// The last acknowledged notes of each RMA.
    var rmaNotes: [Int: String] = [:]
    /// Each acknowledged alert: serial number and the time it says it occurred.
    var alerts: [(serial: String, occurredAt: String)] = []
    var acknowledged = 0
    var retries = 0
    /// Creates answered from the stored first answer (`Idempotent-Replayed`): a retry whose first attempt had
    /// been written although its answer was lost.
    var replays = 0
    var visitMoveCount = 0
    var rmaUpdateCount = 0

    mutating func merge(_ other: WorkloadTally) {
        visitMoves.merge(other.visitMoves) { $1 }
        bookings.merge(other.bookings) { $1 }
        rmaNotes.merge(other.rmaNotes) { $1 }
        alerts += other.alerts
        acknowledged += other.acknowledged
        visitMoveCount += other.visitMoveCount
        rmaUpdateCount += other.rmaUpdateCount
        retries += other.retries
        replays += other.replays
    }
}

/// The four kinds of client. Each repeats one write until it is acknowledged: after a 503, a 429 or a dropped
/// connection it waits (`Retry-After`, at most 1 s) and sends the same request again, with the same
/// Idempotency-Key; a change guarded by If-Match that fails with 412 may have been applied by the attempt whose
/// answer was lost, so the client reads the current state and counts the write as done when it shows it.
struct FaultWorkload: Sendable {
    let fixture: FaultFixture
    let recorder: ResponseRecorder
    let api: @Sendable (String) -> APIClient

    func tasks(stop: OnceFlag) -> [@Sendable () async throws -> WorkloadTally] {
        var tasks: [@Sendable () async throws -> WorkloadTally] = []
        for assignment in fixture.technicianVisits {
            tasks.append { try await moveVisit(assignment, stop: stop) }
        }
        for (index, booking) in fixture.bookings.enumerated() {
            tasks.append { try await book(index: index, requestID: booking.requestID, technicianID: booking.technicianID, stop: stop) }
        }
        for rmaID in fixture.rmaIDs {
            tasks.append { try await updateRMA(rmaID, stop: stop) }
        }
        for (index, serial) in fixture.serialNumbers.enumerated() {
            tasks.append { try await sendAlerts(index: index, serial: serial, stop: stop) }
        }
        tasks.append { try await probe(stop: stop) }
        return tasks
    }

    /// Sends until an answer other than 503, 429 or no answer arrives; counts the retries.
    private func exchange(
        _ client: APIClient, _ method: String, _ path: String, body: JSONValue? = nil, headers: [String: String] = [:],
        retries: inout Int
    ) async throws -> APIClient.Response {
        while true {
            let start = ContinuousClock.now
            var pause = Duration.milliseconds(200)
            do {
                let response = try await client.exchange(method, path, body: body, headers: headers, timeout: .seconds(60))
                recorder.record(start: start, status: response.status, retryAfter: response.headers["retry-after"] != nil,
                                type: response.status >= 500 ? (try? response.json())?.objectValue?["type"]?.stringValue : nil)
                guard response.status == 503 || response.status == 429 else { return response }
                if let seconds = response.headers["retry-after"].flatMap(Double.init) { pause = .seconds(min(seconds, 1)) }
            } catch is ConnectionFailure {
                recorder.record(start: start, status: 0, retryAfter: false, type: nil)
            }
            retries += 1
            try await Task.sleep(for: pause)
        }
    }

    private func moveVisit(_ assignment: FaultFixture.VisitAssignment, stop: OnceFlag) async throws -> WorkloadTally {
        let client = api(assignment.token)
        var tally = WorkloadTally()
        var (status, etag) = try await read(client, "v1/visits/\(assignment.visitID)", field: "status", retries: &tally.retries)
        while !stop.isRaised {
            let target = status == "en_route" ? "dispatched" : "en_route"
            let response = try await exchange(client, "POST", "v1/visits/\(assignment.visitID)/transitions", body: ["to": .string(target)],
                                              headers: ["If-Match": etag], retries: &tally.retries)
            if response.status == 200 {
                (status, etag) = (target, response.headers["etag"] ?? etag)
            } else if [409, 412].contains(response.status) {
                (status, etag) = try await read(client, "v1/visits/\(assignment.visitID)", field: "status", retries: &tally.retries)
                guard status == target else { continue }
            } else {
                throw ValidationError("moving visit \(assignment.visitID) to \(target): unexpected \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            tally.visitMoves[assignment.visitID] = target
            tally.visitMoveCount += 1
            tally.acknowledged += 1
        }
        return tally
    }

    private func book(index: Int, requestID: Int, technicianID: Int, stop: OnceFlag) async throws -> WorkloadTally {
        let client = api(fixture.dispatcherTokens[index])
        var tally = WorkloadTally()
        var slot = 0
        while !stop.isRaised {
            let key = "bench-faults-\(index)-\(slot)"
            let start = fixture.bookingStart.addingTimeInterval(Double(slot) * 3600)
            let body: JSONValue = ["service_request_id": .number(Double(requestID)), "technician_id": .number(Double(technicianID)),
                                   "planned_start": .string(Timestamp.format(start)), "planned_minutes": 30, "work_notes": .string(key)]
            let response = try await exchange(client, "POST", "v1/visits", body: body, headers: ["Idempotency-Key": key], retries: &tally.retries)
            guard response.status == 201, let id = try response.json().objectValue?["id"]?.integerValue else {
                throw ValidationError("booking \(key): unexpected \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            tally.bookings[key] = id
            if response.headers["idempotent-replayed"] == "true" { tally.replays += 1 }
            tally.acknowledged += 1
            slot += 1
        }
        return tally
    }

    private func updateRMA(_ rmaID: Int, stop: OnceFlag) async throws -> WorkloadTally {
        let client = api(fixture.vendorToken)
        var tally = WorkloadTally()
        var etag = try await read(client, "v1/rmas/\(rmaID)", field: "notes", retries: &tally.retries).etag
        var number = 0
        while !stop.isRaised {
            let notes = "bench faults: update \(number)"
            let response = try await exchange(client, "PATCH", "v1/rmas/\(rmaID)", body: ["notes": .string(notes)],
                                              headers: ["If-Match": etag], retries: &tally.retries)
            if response.status == 200 {
                etag = response.headers["etag"] ?? etag
            } else if response.status == 412 {
                let current = try await read(client, "v1/rmas/\(rmaID)", field: "notes", retries: &tally.retries)
                etag = current.etag
                guard current.value == notes else { continue }
            } else {
                throw ValidationError("updating RMA \(rmaID): unexpected \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            tally.rmaNotes[rmaID] = notes
            tally.rmaUpdateCount += 1
            tally.acknowledged += 1
            number += 1
        }
        return tally
    }

    private func sendAlerts(index: Int, serial: String, stop: OnceFlag) async throws -> WorkloadTally {
        let client = api(fixture.alertTokens[index])
        var tally = WorkloadTally()
        var number = 0
        let origin = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
        while !stop.isRaised {
            let occurredAt = Timestamp.format(origin.addingTimeInterval(Double(number)))
            let body: JSONValue = ["source": "bench-faults", "serial_number": .string(serial), "alert_code": .string("BENCH-\(index)"),
                                   "severity": "warning", "occurred_at": .string(occurredAt)]
            let response = try await exchange(client, "POST", "v1/device-alerts", body: body, retries: &tally.retries)
            guard response.status == 201 || response.status == 200 else {
                throw ValidationError("alert from \(serial): unexpected \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            tally.alerts.append((serial, occurredAt))
            if response.headers["idempotent-replayed"] == "true" { tally.replays += 1 }
            tally.acknowledged += 1
            number += 1
        }
        return tally
    }

    /// Reads the API every 100 ms, so that the first 2xx after a restart is seen at once.
    private func probe(stop: OnceFlag) async throws -> WorkloadTally {
        let client = api(fixture.probeToken)
        while !stop.isRaised {
            let start = ContinuousClock.now
            do {
                let response = try await client.exchange("GET", "v1/me", timeout: .seconds(60))
                recorder.record(start: start, status: response.status, retryAfter: response.headers["retry-after"] != nil,
                                type: response.status >= 500 ? (try? response.json())?.objectValue?["type"]?.stringValue : nil)
            } catch is ConnectionFailure {
                recorder.record(start: start, status: 0, retryAfter: false, type: nil)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return WorkloadTally()
    }

    /// A field of a resource and its ETag, read until the read succeeds.
    private func read(_ client: APIClient, _ path: String, field: String, retries: inout Int) async throws -> (value: String, etag: String) {
        let response = try await exchange(client, "GET", path, retries: &retries)
        guard response.status == 200, let etag = response.headers["etag"] else {
            throw ValidationError("reading \(path): unexpected \(response.status)")
        }
        return (try response.json().objectValue?[field]?.stringValue ?? "", etag)
    }
}

/// Compares the database after the run with what the clients had acknowledged.
struct FaultChecker {
    let configuration: PGConnectionConfiguration
    let fixture: FaultFixture

    struct Outcome {
        var lost: [String] = []
        var duplicated: [String] = []
    }

    func check(_ tally: WorkloadTally) async throws -> Outcome {
        try await PGConnection.withConnection(configuration: configuration) { connection in
            var outcome = Outcome()
            for (visitID, status) in tally.visitMoves {
                let stored = try await connection.query("SELECT status FROM visit WHERE id = \(visitID)")[0].decode(String.self, at: 0)
                if stored != status { outcome.lost.append("visit \(visitID) is \(stored), acknowledged \(status)") }
            }
            let booked = try await connection.query("""
                SELECT work_notes, array_agg(id ORDER BY id) FROM visit WHERE work_notes LIKE 'bench-faults-%' GROUP BY work_notes
                """)
            var stored: [String: [Int]] = [:]
            for row in booked {
                let (key, ids) = try row.decode((String, [Int]).self)
                stored[key] = ids
                if ids.count > 1 { outcome.duplicated.append("booking \(key) made \(ids.count) visits: \(ids)") }
            }
            for (key, id) in tally.bookings where stored[key]?.contains(id) != true {
                outcome.lost.append("booking \(key) (visit \(id)) is not in the database")
            }
            for (rmaID, notes) in tally.rmaNotes {
                let current = try await connection.query("SELECT coalesce(notes, '') FROM rma WHERE id = \(rmaID)")[0].decode(String.self, at: 0)
                if current != notes { outcome.lost.append("RMA \(rmaID) has notes '\(current)', acknowledged '\(notes)'") }
            }
            let alerts = try await connection.query("""
                SELECT serial_number, occurred_at, count(*) FROM device_alert WHERE source = 'bench-faults' GROUP BY 1, 2
                """)
            var alertCounts: [String: Int] = [:]
            for row in alerts {
                let (serial, occurred, count) = try row.decode((String, Date, Int).self)
                let occurredAt = Timestamp.format(occurred)
                alertCounts[serial + " " + occurredAt] = count
                if count > 1 { outcome.duplicated.append("alert \(serial) at \(occurredAt) stored \(count) times") }
            }
            for alert in tally.alerts where alertCounts[alert.serial + " " + alert.occurredAt] == nil {
                outcome.lost.append("alert \(alert.serial) at \(alert.occurredAt) is not in the database")
            }
            // Repeated alerts of one code on one unit open one call, however often a retry delivered them.
            let opened = try await connection.query("""
                SELECT alert_code, count(*) FROM service_request WHERE alert_code LIKE 'BENCH-%' GROUP BY 1 HAVING count(*) > 1
                """)
            for row in opened {
                let (code, count) = try row.decode((String, Int).self)
                outcome.duplicated.append("alert code \(code) opened \(count) calls")
            }
            return outcome
        }
    }
}

/// `truckroll serve` as a child process on a free port.
struct ServedProcess {
    let process: Process
    let base: URL

    static func start(
        executable: String, database: PGConnectionConfiguration, directory: String, requestTimeoutMs: Int, migrationsDirectory: String
    ) async throws -> ServedProcess {
        var environment = ProcessInfo.processInfo.environment
        func setting(_ keyword: String) -> String { database.setting(keyword) ?? "" }
        let password = setting("password").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        environment["TRUCKROLL_DATABASE_URL"] = "postgresql://\(setting("user")):\(password)@\(setting("host")):\(setting("port"))/\(setting("dbname"))"
        environment["TRUCKROLL_PLANNING_WORKERS"] = "0"
        environment["TRUCKROLL_HTTP_REQUEST_TIMEOUT_MS"] = String(requestTimeoutMs)
        // Each client sends back to back, faster than a person or an integration would: no rate limit.
        environment["TRUCKROLL_RATE_LIMIT_PER_SECOND"] = "0"
        environment["TRUCKROLL_MIGRATIONS_DIR"] = migrationsDirectory
        environment["TRUCKROLL_LOG_LEVEL"] = "error"
        let output = directory + "/serve.out"
        let log = directory + "/serve.log"
        for file in [output, log] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", "0"]
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Truckroll is serving on ") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }), let url = URL(string: String(address)) {
                return ServedProcess(process: process, base: url)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { process.terminate() }
        let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw ValidationError("truckroll serve did not start: \(errors.split(separator: "\n").suffix(5).joined(separator: " | "))")
    }

    /// Resident memory of the server, in KiB (from `/proc`).
    func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// SIGTERM, then SIGKILL after 10 s; the exit status.
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
