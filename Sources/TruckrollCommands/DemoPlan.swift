import Foundation
import LibPQ
import Logging
import TruckrollDomain
import TruckrollServer
import TruckrollStore

/// The demo's main job: plan the working day ahead from the live database, as a dispatcher would with
/// `truckroll plan`, and show what it costs against the current plan and a naive dispatch.
enum DemoPlan {
    /// Seconds the solver gets in `make demo`.
    static let defaultTimeLimit = 10.0

    /// Minutes from `now` to the end of the next working day in Lyon (Monday to Friday, 08:00–17:00), at least a day:
    /// on a Friday evening or a weekend the plan reaches Monday.
    static func horizonMinutes(from now: Date) -> Int {
        let weekdays: JSONValue = [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"]]
        guard let calendar = CoverageCalendar(businessHours: weekdays, timeZoneIdentifier: "Europe/Paris") else { return 1_440 }
        var days = 1
        while days < 4, calendar.coveredIntervals(from: now, to: now.addingTimeInterval(Double(days) * 86_400)).isEmpty { days += 1 }
        return days * 1_440
    }

    /// Queues a plan, solves it here (before the API listens), prints its summary and returns its id.
    static func run(pool: PGPool, logger: Logger, timeLimit: Double = defaultTimeLimit) async throws -> Int {
        let runs = PlanRunStore(pool: pool)
        let minutes = horizonMinutes(from: Date())
        let created = try await runs.create(["horizon_minutes": .number(Double(minutes)), "time_limit_seconds": .number(timeLimit)],
                                            as: PlanRunStore.planner)
        guard let id = JSONValue(parsing: created)?.objectValue?["id"]?.integerValue else { throw DemoPlanError(description: "the server returned no plan id") }
        print("Planning the next \(minutes / 60) hours for every technician (\(Int(timeLimit)) s) …")
        fflush(nil)
        let worker = PlanningWorker(runs: runs, name: "demo", logger: logger)
        // Runs queued earlier (repairs triggered while the sample loaded) go first.
        var plan: JSONObject = [:]
        for _ in 0..<5 {
            _ = try await worker.runOnce()
            plan = JSONValue(parsing: try await runs.get(id, as: PlanRunStore.planner))?.objectValue ?? [:]
            if plan["status"] != "queued" { break }
        }
        guard plan["status"] == "done" else {
            throw DemoPlanError(description: "the demo plan did not finish: \(Output.text(plan["error"] ?? plan["status"]))")
        }
        PlanCommand.printSummary(plan)
        fflush(nil)
        return id
    }
}

/// The demo could not plan (a bug: the sample always plans).
struct DemoPlanError: Error, CustomStringConvertible {
    let description: String
}
