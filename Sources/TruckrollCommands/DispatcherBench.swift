import ArgumentParser
import Foundation
import LibPQ
import Logging
import Synchronization
import TruckrollClient
import TruckrollDomain
import TruckrollSample
import TruckrollServer

/// `truckroll bench dispatchers`: dispatchers booking and moving the same visits at once, through the HTTP API.
struct DispatcherBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatchers",
        abstract: "Dispatchers booking and reassigning visits at once: no double booking, no lost update, no error.",
        discussion: """
            Works in a scratch database named truckroll_bench_dispatchers (dropped and re-created; the role needs \
            CREATEDB), or in the embedded PostgreSQL, with the demo sample business, and serves it on a loopback port. \
            Each dispatcher has its own token; together they book a visit for each of --visits calls waiting for \
            dispatch, on --technicians technicians over one day, then move random visits to another technician or time \
            (GET for the ETag, then PATCH with If-Match) until --seconds have passed. An independent check then reads \
            the event log and the visits. The last line reads: dispatchers bench: overlapping bookings N, lost updates \
            N, unexpected responses N (all three must be 0; the command exits 1 otherwise).
            """
    )

    @Option(help: "Simulated dispatchers, each with its own token.") var dispatchers = 16
    @Option(help: "Seconds of booking and reassigning.") var seconds = 60
    @Option(help: "Visits to book (calls waiting for dispatch in the demo data: at most 150).") var visits = 100
    @Option(help: "Technicians the visits are shared among.") var technicians = 10
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...256).contains(dispatchers) else { throw ValidationError("--dispatchers: expected 1 to 256") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard (1...150).contains(visits) else { throw ValidationError("--visits: expected 1 to 150") }
        guard (1...40).contains(technicians) else { throw ValidationError("--technicians: expected 1 to 40") }
    }

    func run() async throws {
        var clean = false
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: .warning)
            try await withDatabase(configuration, logger: logger) { server in
                let scratch = try await HTTPBench.prepareScratchDatabase(
                    "truckroll_bench_dispatchers", on: server, migrationsDirectory: configuration.migrationsDirectory,
                    size: .demo, logger: logger
                )
                let pool = PGPool(configuration: scratch, options: .init(maxConnections: 10, leaseTimeout: .seconds(2)), logger: logger)
                do {
                    let report = try await DispatcherSimulation.run(
                        pool: pool, dispatchers: dispatchers, duration: .seconds(seconds), visits: visits, technicians: technicians
                    )
                    report.print()
                    clean = report.isClean
                } catch {
                    await pool.shutdown()
                    throw error
                }
                await pool.shutdown()
            }
        }
        if !clean { throw ExitCode.failure }
    }
}

/// Dispatchers at work on the same technicians through the real API, and what an independent check of the event log
/// and the visits found afterwards.
enum DispatcherSimulation {
    /// What the dispatchers did and what the check found.
    struct Report: Sendable {
        var requests = 0
        var statuses: [Int: Int] = [:]
        /// Answers other than 2xx, 409 and 412 (0: no answer at all), with one example each.
        var unexpected: [String] = []
        var acknowledged: [VisitLedgerCheck.Placement] = []
        var seconds = 0.0
        var check = VisitLedgerCheck.Findings()

        var unexpectedCount: Int {
            statuses.filter { !(200..<300).contains($0.key) && $0.key != 409 && $0.key != 412 }.values.reduce(0, +)
        }

        /// No overlap, no lost update, no unexpected answer.
        var isClean: Bool { check.overlaps.isEmpty && check.lostUpdates.isEmpty && unexpectedCount == 0 }

        func print() {
            let byStatus = statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "no answer" : String($0.key)): \($0.value)" }
            Swift.print(String(format: "%d requests in %.1f s (%.0f/s); ", requests, seconds, Double(requests) / max(seconds, 0.001))
                        + byStatus.joined(separator: ", "))
            Swift.print("acknowledged writes: \(acknowledged.count) (\(check.bookings) bookings, \(acknowledged.count - check.bookings) moves); "
                        + "event log: \(check.events) placement events for \(check.visits) visits")
            for line in unexpected.prefix(5) { Swift.print("unexpected: " + line) }
            for line in (check.overlaps + check.lostUpdates).prefix(10) { Swift.print("found: " + line) }
            Swift.print("dispatchers bench: overlapping bookings \(check.overlaps.count), lost updates \(check.lostUpdates.count), "
                        + "unexpected responses \(unexpectedCount)")
        }
    }

    /// Seeds tokens for the dispatchers, picks calls waiting for dispatch and technicians, serves the API on a
    /// loopback port, lets the dispatchers work for `duration`, then checks the outcome.
    static func run(
        pool: PGPool, dispatchers: Int, duration: Duration, visits: Int, technicians: Int
    ) async throws -> Report {
        let requestIDs = try await pool.query(
            "SELECT id FROM service_request WHERE status = 'dispatch_needed' ORDER BY id LIMIT \(visits)"
        ).map { try $0.decode(Int.self, at: 0) }
        guard requestIDs.count == visits else {
            throw BenchFailure("only \(requestIDs.count) calls wait for dispatch; ask for fewer --visits")
        }
        let technicianIDs = try await pool.query("SELECT id FROM technician ORDER BY id LIMIT \(technicians)").map { try $0.decode(Int.self, at: 0) }
        let tokens = try await HTTPBench.tokens(for: Array(repeating: SampleBusiness.Users.dispatcher, count: dispatchers), pool: pool)
        // One day a month ahead, 06:00 to 22:00 UTC: empty in the sample data, so every clash is between dispatchers.
        let day = Calendar(identifier: .gregorian).startOfDay(for: Date().addingTimeInterval(30 * 86_400))
        let board = Board(technicians: technicianIDs, opens: day.addingTimeInterval(6 * 3_600), closes: day.addingTimeInterval(22 * 3_600))

        let shared = Shared()
        let clock = ContinuousClock()
        let started = clock.now
        try await HTTPBench.withApplication(pool: pool) { server in
            let deadline = clock.now + duration
            await withTaskGroup(of: Void.self) { group in
                for (index, token) in tokens.enumerated() {
                    let mine = requestIDs.enumerated().filter { $0.offset % dispatchers == index }.map(\.element)
                    group.addTask {
                        await Dispatcher(client: APIClient(server: server, token: token), board: board, shared: shared)
                            .work(booking: mine, until: deadline, clock: clock)
                    }
                }
            }
        }
        var report = shared.report()
        report.seconds = (clock.now - started).seconds
        report.check = try await VisitLedgerCheck.check(requests: requestIDs, technicians: technicianIDs,
                                                        acknowledged: report.acknowledged, pool: pool)
        return report
    }

    /// Where visits may go: the technicians and the opening hours of the day.
    struct Board: Sendable {
        let technicians: [Int]
        let opens: Date
        let closes: Date

        /// A random placement: a technician, a start on the quarter hour and a length of 30 to 120 minutes.
        func randomPlacement() -> (technician: Int, start: Date, minutes: Int) {
            let minutes = [30, 45, 60, 90, 120].randomElement()!
            let quarters = Int(closes.timeIntervalSince(opens) / 900) - minutes / 15
            return (technicians.randomElement()!, opens.addingTimeInterval(Double(Int.random(in: 0...quarters) * 900)), minutes)
        }
    }

    /// What the dispatchers share: the visits booked so far (their ids, as a board would show them) and the tally.
    final class Shared: Sendable {
        private struct State {
            var visitIDs: [Int] = []
            var report = Report()
        }
        private let state = Mutex(State())

        func booked(_ visitID: Int) { state.withLock { $0.visitIDs.append(visitID) } }

        func randomVisit() -> Int? { state.withLock { $0.visitIDs.randomElement() } }

        func record(_ exchange: HTTPBench.Exchange, _ what: String, acknowledging placement: VisitLedgerCheck.Placement?) {
            state.withLock { state in
                state.report.requests += 1
                state.report.statuses[exchange.status, default: 0] += 1
                let expected = (200..<300).contains(exchange.status) || exchange.status == 409 || exchange.status == 412
                if !expected, state.report.unexpected.count < 20 {
                    state.report.unexpected.append("\(what): \(exchange.status) \(String(decoding: exchange.body.prefix(300), as: UTF8.self))")
                }
                if let placement { state.report.acknowledged.append(placement) }
            }
        }

        func report() -> Report { state.withLock { $0.report } }
    }

    /// One dispatcher: books its share of the calls, then moves random visits, as a client of the API would.
    struct Dispatcher: Sendable {
        let client: APIClient
        let board: Board
        let shared: Shared

        func work(booking requests: [Int], until deadline: ContinuousClock.Instant, clock: ContinuousClock) async {
            var unbooked = requests
            while clock.now < deadline {
                if let request = unbooked.last {
                    if await book(request) { unbooked.removeLast() }
                } else if let visitID = shared.randomVisit() {
                    await move(visitID)
                } else {
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
        }

        /// Books a visit for the call at a random place; false when it clashed (409) and must be tried elsewhere
        /// (any other answer is counted, and the call left).
        private func book(_ request: Int) async -> Bool {
            let placement = board.randomPlacement()
            let body: JSONValue = ["service_request_id": .number(Double(request)), "technician_id": .number(Double(placement.technician)),
                                   "planned_start": .string(Timestamp.format(placement.start)), "planned_minutes": .number(Double(placement.minutes))]
            let exchange = await HTTPBench.send(client, "POST", "v1/visits", body: body,
                                                headers: ["Idempotency-Key": "book-\(request)-\(UUID().uuidString)"])
            let acknowledged = exchange.status == 201 ? exchange.object.flatMap(VisitLedgerCheck.Placement.init(visit:)) : nil
            shared.record(exchange, "POST /v1/visits", acknowledging: acknowledged)
            if let acknowledged { shared.booked(acknowledged.visitID) }
            return exchange.status != 409
        }

        /// Reads a visit for its ETag, then moves it to another technician, time or length with `If-Match`.
        private func move(_ visitID: Int) async {
            let read = await HTTPBench.send(client, "GET", "v1/visits/\(visitID)")
            shared.record(read, "GET /v1/visits/\(visitID)", acknowledging: nil)
            guard read.status == 200, let etag = read.headers["etag"] else { return }
            let placement = board.randomPlacement()
            var body: JSONObject = [:]
            switch Int.random(in: 0..<3) {
            case 0: body["technician_id"] = .number(Double(placement.technician))
            case 1: body["planned_start"] = .string(Timestamp.format(placement.start))
            default:
                body = ["technician_id": .number(Double(placement.technician)), "planned_start": .string(Timestamp.format(placement.start)),
                        "planned_minutes": .number(Double(placement.minutes))]
            }
            let exchange = await HTTPBench.send(client, "PATCH", "v1/visits/\(visitID)", body: .object(body), headers: ["If-Match": etag])
            let acknowledged = exchange.status == 200 ? exchange.object.flatMap(VisitLedgerCheck.Placement.init(visit:)) : nil
            shared.record(exchange, "PATCH /v1/visits/\(visitID)", acknowledging: acknowledged)
        }
    }
}

/// The independent check of a dispatch run: reads only the event log and the visit table, and compares them with the
/// writes the clients saw acknowledged.
enum VisitLedgerCheck {
    /// Where a visit was booked at one version.
    struct Placement: Sendable, Equatable, CustomStringConvertible {
        let visitID: Int
        let version: Int
        let technicianID: Int
        let start: Date
        let minutes: Int

        init(visitID: Int, version: Int, technicianID: Int, start: Date, minutes: Int) {
            self.visitID = visitID
            self.version = version
            self.technicianID = technicianID
            self.start = start
            self.minutes = minutes
        }

        /// The placement a visit's JSON (an API answer) shows.
        init?(visit: JSONObject) {
            guard let id = visit["id"]?.integerValue, let version = visit["version"]?.integerValue,
                  let technician = visit["technician_id"]?.integerValue, let minutes = visit["planned_minutes"]?.integerValue,
                  let start = visit["planned_start"]?.stringValue.flatMap(Timestamp.parse)
            else { return nil }
            self.init(visitID: id, version: version, technicianID: technician, start: start, minutes: minutes)
        }

        var end: Date { start.addingTimeInterval(Double(minutes) * 60) }

        var description: String {
            "visit \(visitID) v\(version): technician \(technicianID) from \(Timestamp.format(start)) for \(minutes) min"
        }
    }

    /// What the check found.
    struct Findings: Sendable {
        /// Pairs of live visits of one technician whose times overlap.
        var overlaps: [String] = []
        /// Acknowledged writes missing from the log, versions written twice or skipped, final rows unlike the log.
        var lostUpdates: [String] = []
        var visits = 0
        var events = 0
        var bookings = 0
    }

    /// Checks the visits of `requests`, and every live visit of `technicians`, against `acknowledged`.
    static func check(requests: [Int], technicians: [Int], acknowledged: [Placement], pool: PGPool) async throws -> Findings {
        var findings = Findings()
        findings.bookings = acknowledged.filter { $0.version == 1 }.count
        let finals = try await pool.query("""
            SELECT id, version, technician_id, planned_start, planned_minutes FROM visit
            WHERE service_request_id = ANY(\(requests)) ORDER BY id
            """).map { row in
            let (id, version, technician, start, minutes) = try row.decode((Int, Int, Int, Date, Int).self)
            return Placement(visitID: id, version: version, technicianID: technician, start: start, minutes: minutes)
        }
        findings.visits = finals.count
        var logged: [Int: [Placement]] = [:]
        for row in try await pool.query("""
            SELECT e.entity_id, e.data::text FROM event e
            WHERE e.entity = 'visit' AND e.kind IN ('created', 'rescheduled', 'edited')
                AND e.entity_id IN (SELECT id FROM visit WHERE service_request_id = ANY(\(requests)))
            ORDER BY e.id
            """) {
            let (visitID, json) = try row.decode((Int, String).self)
            guard case .object(var data)? = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
                findings.lostUpdates.append("visit \(visitID): an event without data")
                continue
            }
            data["id"] = .number(Double(visitID))
            guard let placement = Placement(visit: data) else {
                findings.lostUpdates.append("visit \(visitID): an event without its placement and version: \(json)")
                continue
            }
            logged[visitID, default: []].append(placement)
            findings.events += 1
        }
        // Each write builds on the one before: versions 1, 2, 3 … in log order, none twice, none skipped.
        for (visitID, history) in logged {
            for (index, placement) in history.enumerated() where placement.version != index + 1 {
                findings.lostUpdates.append("visit \(visitID): event \(index + 1) of its log records version \(placement.version)")
            }
        }
        for ack in acknowledged where !(logged[ack.visitID] ?? []).contains(ack) {
            findings.lostUpdates.append("acknowledged but not in the event log: \(ack)")
        }
        for final in finals {
            guard let last = logged[final.visitID]?.last else {
                findings.lostUpdates.append("visit \(final.visitID) has no booking event")
                continue
            }
            if last != final { findings.lostUpdates.append("final row \(final) but the log ends with \(last)") }
        }
        // Every live visit of these technicians, the sample's included, computed here rather than trusted to the
        // exclusion constraint.
        let live = try await pool.query("""
            SELECT id, version, technician_id, planned_start, planned_minutes FROM visit
            WHERE technician_id = ANY(\(technicians)) AND status <> 'cancelled'
            """).map { row in
            let (id, version, technician, start, minutes) = try row.decode((Int, Int, Int, Date, Int).self)
            return Placement(visitID: id, version: version, technicianID: technician, start: start, minutes: minutes)
        }
        for (_, day) in Dictionary(grouping: live, by: \.technicianID) {
            let ordered = day.sorted { $0.start < $1.start }
            for (earlier, later) in zip(ordered, ordered.dropFirst()) where later.start < earlier.end {
                findings.overlaps.append("\(earlier) overlaps \(later)")
            }
        }
        return findings
    }
}
