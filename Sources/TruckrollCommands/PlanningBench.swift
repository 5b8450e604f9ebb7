import ArgumentParser
import Foundation
import LibPQ
import Logging
import OptimizerCommands
import TruckrollDomain
import TruckrollPlanning
import TruckrollSample
import TruckrollServer
import TruckrollStore

/// `truckroll bench planning`: end-to-end dispatch planning on generated businesses of three sizes.
struct PlanningBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planning",
        abstract: "Plan a generated business end to end: load it, read the snapshot, build the problem, solve, apply.",
        discussion: """
            Works in a scratch database named truckroll_bench_planning (dropped and re-created for each size; the role \
            needs CREATEDB), or in the embedded PostgreSQL. The business is generated from --seed with its open calls \
            reported before the next weekday's 10:00 in Lyon, and the plan covers the 24 hours from then. One line per \
            size: seconds for each step, peak memory of the process, and the plan's downtime cost against a naive \
            dispatch (each call in arrival order to the qualified technician free first) computed in the same run.
            """
    )

    @Option(help: "demo (40 technicians, 250 calls), medium (200, 1,500), large (1,000, 8,000), or all.") var size = "all"
    @Option(name: .customLong("time-limit"), help: "Solver time limit in seconds.") var timeLimit = 10.0
    @Option(help: "Seed of the generated business.") var seed: UInt64 = 1
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard size == "all" || SampleBusiness.Size.presets.contains(where: { $0.name == size }) else {
            throw ValidationError("--size: expected demo, medium, large or all")
        }
        guard timeLimit > 0, timeLimit <= 600 else { throw ValidationError("--time-limit: expected 0 to 600 seconds") }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration()
            let logger = makeLogger(level: .warning)
            let sizes = SampleBusiness.Size.presets.filter { size == "all" || $0.name == size }
            try await withDatabase(configuration, logger: logger) { server in
                print("size    techs  calls  load s  read s  build s  solve s  apply s  peak MB  downtime plan  naive        ratio  out plan/naive")
                for preset in sizes {
                    try await PGConnection.withConnection(configuration: server) { admin in
                        try await admin.execute("DROP DATABASE IF EXISTS truckroll_bench_planning WITH (FORCE)")
                        try await admin.execute("CREATE DATABASE truckroll_bench_planning")
                    }
                    let bench = server.with(database: "truckroll_bench_planning")
                    let migrations = try Migration.load(directory: configuration.migrationsDirectory)
                    try await MigrationRunner(configuration: bench, migrations: migrations, logger: logger).migrate()
                    let pool = PGPool(configuration: bench, options: .init(maxConnections: 2, leaseTimeout: .seconds(60)), logger: logger)
                    do {
                        try await measure(preset.name, preset.size, pool: pool)
                    } catch {
                        await pool.shutdown()
                        throw error
                    }
                    await pool.shutdown()
                }
            }
        }
    }

    /// The next Monday-to-Friday 10:00 in Lyon after now.
    static func nextWorkingMorning(after now: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        var day = calendar.startOfDay(for: now)
        while true {
            day = calendar.date(byAdding: .day, value: 1, to: day)!
            if !calendar.isDateInWeekend(day) { return calendar.date(byAdding: .hour, value: 10, to: day)! }
        }
    }

    private func measure(_ name: String, _ size: SampleBusiness.Size, pool: PGPool) async throws {
        let clock = ContinuousClock()
        let morning = Self.nextWorkingMorning(after: Date())
        // Repairs are not triggered while the sample loads: the benchmark plans once, from scratch.
        _ = try await pool.query("UPDATE planning_policy SET replan_on_events = false")
        var started = clock.now
        _ = try await SampleBusiness(size: size, seed: seed, now: morning).load(into: pool)
        let load = (clock.now - started).seconds

        let runs = PlanRunStore(pool: pool)
        _ = try await runs.create(["horizon_start": .string(Timestamp.format(morning)), "horizon_minutes": 1_440,
                                   "time_limit_seconds": .number(timeLimit), "seed": .number(Double(seed))], as: PlanRunStore.planner)
        guard let run = try await runs.claimNext(worker: "bench", staleAfter: .seconds(3_600)) else {
            throw ValidationError("the queued run was not claimed")
        }
        started = clock.now
        let snapshot = try await runs.snapshot(for: run)
        let read = (clock.now - started).seconds
        started = clock.now
        let problem = PlanningProblem(snapshot: snapshot)
        let build = (clock.now - started).seconds
        started = clock.now
        let solveStart = clock.now
        let outcome = try await problem.solve(run.options, elapsedFraction: { (clock.now - solveStart).seconds / timeLimit })
        let solve = (clock.now - started).seconds
        _ = try await runs.finish(run: run.id, worker: "bench", outcome: outcome, elapsedSeconds: read + build + solve)
        started = clock.now
        _ = try await runs.apply(run.id, as: PlanRunStore.planner)
        let apply = (clock.now - started).seconds

        let review = outcome.review
        print(String(format: "%-7@ %5d  %5d  %6.1f  %6.1f  %7.1f  %7.1f  %7.1f  %7.0f  %13.0f  %11.0f  %5.3f  %d/%d",
                     name as NSString, size.technicians, snapshot.requests.count, load, read, build, solve, apply,
                     peakMemoryMegabytes(), review.kpis.downtimeCost, review.naiveDispatch.downtimeCost,
                     review.kpis.downtimeCost / max(1, review.naiveDispatch.downtimeCost), review.kpis.unassigned, review.naiveDispatch.unassigned))
        fflush(nil)
    }
}
