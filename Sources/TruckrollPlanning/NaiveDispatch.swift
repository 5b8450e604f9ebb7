import RouteOptimization

/// The dispatch a busy person does by hand, as the yardstick plans are compared with: calls in the order they came
/// in, each to the qualified technician who can start it first (free earliest, then nearest), appended to the end
/// of that technician's day. Visits in progress or locked stay where they are.
enum NaiveDispatch {
    /// A visit placed by the naive dispatch.
    struct Placement {
        let job: Int
        let technician: Int
        let shift: Int
        let start: Double
        let completion: Double
    }

    /// Places jobs in `order`; the jobs it cannot place are not in the result.
    static func dispatch(_ problem: RoutingProblem, order: [Int]) -> [Placement] {
        struct RouteEnd { var node: Int; var freeAt: Double }
        var ends = problem.technicians.map { technician in technician.shifts.map { RouteEnd(node: technician.startNode, freeAt: $0.start) } }
        var placements: [Placement] = []
        let pinned = Set(problem.pinnedVisits.map(\.job))
        let queue = problem.pinnedVisits.map(\.job) + order.filter { !pinned.contains($0) }
        let pinOf = Dictionary(problem.pinnedVisits.map { ($0.job, $0) }) { first, _ in first }
        for job in queue {
            let work = problem.jobs[job]
            var best: (placement: Placement, travel: Double)?
            for (index, technician) in problem.technicians.enumerated() {
                if let pin = pinOf[job], pin.technician != index { continue }
                guard work.requiredSkills.allSatisfy({ technician.skills[$0.skill, default: 0] >= $0.minimumLevel }) else { continue }
                let service = work.requiredSkills.first.flatMap { work.serviceMinutesByLevel[technician.skills[$0.skill] ?? 0] } ?? work.serviceMinutes
                let release = work.releaseTimeByTechnician[technician.id] ?? work.releaseTime
                for (shiftIndex, shift) in technician.shifts.enumerated() {
                    if let pin = pinOf[job], pin.shift != shiftIndex { continue }
                    let end = ends[index][shiftIndex]
                    let travel = problem.travel.time(end.node, work.node)
                    let arrival = max(end.freeAt + travel, release)
                    guard let window = work.timeWindows.first(where: { $0.latest >= arrival }) else { continue }
                    let start = max(arrival, window.earliest)
                    let completion = start + service
                    guard completion + problem.travel.time(work.node, technician.endNode) <= shift.end || pinOf[job] != nil else { continue }
                    if best.map({ start < $0.placement.start || (start == $0.placement.start && travel < $0.travel) }) ?? true {
                        best = (Placement(job: job, technician: index, shift: shiftIndex, start: start, completion: completion), travel)
                    }
                    break
                }
            }
            guard let chosen = best?.placement else { continue }
            ends[chosen.technician][chosen.shift] = RouteEnd(node: work.node, freeAt: chosen.completion)
            placements.append(chosen)
        }
        return placements
    }
}
