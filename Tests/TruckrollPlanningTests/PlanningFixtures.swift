import FoundationEssentials
import TruckrollDomain
import TruckrollPlanning

/// Small hand-made snapshots: a morning in Lyon, times in UTC.
enum PlanningFixtures {
    static func at(_ time: String) -> Date { Timestamp.parse("2026-12-01T\(time):00Z")! }

    static let depot = PlanningDepot(id: 1, code: "D01", location: Coordinate(latitude: 45.75, longitude: 4.85), stock: [100: 5])

    static func technician(_ id: Int, skills: [String: Int] = ["copier": 3], at location: Coordinate = Coordinate(latitude: 45.76, longitude: 4.84),
                           van: [Int: Int] = [:], from: String = "07:00", to: String = "16:00") -> PlanningTechnician {
        PlanningTechnician(id: id, code: "T\(id)", name: "Technician \(id)", home: location, skills: skills,
                           shifts: [DateInterval(start: at(from), end: at(to))], vanStock: van)
    }

    static func request(_ id: Int, at location: Coordinate = Coordinate(latitude: 45.78, longitude: 4.87), priority: String = "P2",
                        skills: [String: Int] = ["copier": 2], minutes: Int = 60, costPerHour: Double = 100, due: Date? = nil,
                        access: [DateInterval]? = nil, parts: [PartNeed] = [], reported: String = "06:00") -> PlanningRequest {
        PlanningRequest(id: id, version: 1, status: "dispatch_needed", priority: priority, reportedAt: at(reported), siteID: id,
                        location: location, accessHours: access, requiredSkills: skills, repairMinutes: minutes,
                        downtimeCostPerHour: costPerHour, restoreDue: due, parts: parts, summary: "request \(id)")
    }

    /// A booked visit of `request` at `start`.
    static func visit(_ id: Int, request: Int, technician: Int = 1, at start: String, minutes: Int = 60, status: String = "planned",
                      locked: Bool = false) -> OpenVisit {
        OpenVisit(id: id, version: 1, requestID: request, technicianID: technician, plannedStart: at(start), plannedMinutes: minutes,
                  status: status, locked: locked)
    }

    static func snapshot(now: Date = at("06:30"), technicians: [PlanningTechnician], requests: [PlanningRequest], visits: [OpenVisit] = [],
                         depots: [PlanningDepot] = [depot]) -> PlanningSnapshot {
        PlanningSnapshot(now: now, horizon: DateInterval(start: now, duration: 86_400), technicians: technicians,
                         requests: requests, visits: visits, depots: depots)
    }

    static func solve(_ snapshot: PlanningSnapshot, _ options: PlanningOptions = PlanningOptions(maxIterations: 2_000)) async throws -> PlanningOutcome {
        try await PlanningProblem(snapshot: snapshot).solve(options, elapsedFraction: { 0 })
    }
}
