import FoundationEssentials
import Testing
import TruckrollDomain
import TruckrollPlanning

@Suite struct PlanningProblemTests {
    typealias F = PlanningFixtures

    @Test func everyRequestIsPlannedWhenOneTechnicianHasTheTime() async throws {
        let storage = F.request(6, skills: ["netapp": 4], minutes: 120, access: [DateInterval(start: F.at("07:00"), end: F.at("16:00"))])
        let outcome = try await F.solve(F.snapshot(now: Timestamp.parse("2026-11-30T23:30:00Z")!, technicians: [F.technician(2, skills: ["netapp": 4, "x86-server": 4])],
                                                   requests: [F.request(1, skills: ["x86-server": 2]), storage]))
        #expect(outcome.review.unassigned.map(\.requestId) == [])
        #expect(outcome.review.routes.flatMap { $0.visits.map(\.requestId) }.sorted() == [1, 6])
    }
}

extension PlanningProblemTests {
    @Test func aRepairWithoutBookedVisitsPlansEverything() async throws {
        let requests = (1...7).map { F.request($0, skills: ["copier": 1], minutes: 60 + 10 * $0) }
        let outcome = try await F.solve(F.snapshot(technicians: [F.technician(1), F.technician(2)], requests: requests),
                                        PlanningOptions(repair: true, disruptionBudget: 5, maxIterations: 2_000))
        #expect(outcome.review.unassigned.map(\.requestId) == [])
    }
}
