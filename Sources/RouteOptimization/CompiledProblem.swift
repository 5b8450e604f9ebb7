/// The problem flattened into arrays for the search: one route per technician shift, one entry per eligible
/// (job, technician) pair, windows in one array.
struct CompiledProblem: Sendable {
    let problem: RoutingProblem
    let travel: TravelMatrix
    let jobCount: Int
    let technicianCount: Int
    let routeCount: Int

    // Routes (one per technician shift).
    let routeTechnician: [Int]
    let routeShift: [Int]
    let routeStartNode: [Int]
    let routeEndNode: [Int]
    let routeShiftStart: [Double]
    let routeShiftEnd: [Double]
    let routeCapacity: [Double]
    let routeHasBreak: [Bool]
    let routeBreakEarliest: [Double]
    let routeBreakLatest: [Double]
    let routeBreakMinutes: [Double]
    let routeIndexOfShift: [[Int]]

    // Jobs.
    let jobNode: [Int]
    private(set) var jobCompletionWeight: [Double]
    let jobDue: [Double]
    private(set) var jobLatenessCost: [Double]
    private(set) var jobPenalty: [Double]
    let jobDemand: [Double]
    let windowOffset: [Int]
    let windowEarliest: [Double]
    let windowLatest: [Double]
    let jobLastWindowLatest: [Double]
    /// One window and no lateness cost: a delay of the visit delays its completion by what it did not wait.
    let hasSimpleVisits: [Bool]

    // Eligible (job, technician) pairs.
    let pairOfJobAndTechnician: [Int32]
    let pairService: [Double]
    let pairRelease: [Double]
    let eligibleRoutes: [[Int]]
    /// For each route, the first route interchangeable with it while both are empty (same start, end, shift, break
    /// and capacity, and the same eligibility, service and release time for every job): inserting a job into either
    /// costs the same, so an insertion search need price only the first.
    private(set) var emptyRouteTwin: [Int] = []

    private(set) var travelCostPerMinute: Double
    private(set) var travelCostPerDistance: Double
    private(set) var fixedCostPerRoute: Double

    /// - Complexity: O(jobs × technicians × required skills).
    init(_ problem: RoutingProblem) {
        self.problem = problem
        travel = problem.travel
        jobCount = problem.jobs.count
        technicianCount = problem.technicians.count
        let weights = problem.objective

        var routeTechnician: [Int] = [], routeShift: [Int] = [], startNode: [Int] = [], endNode: [Int] = []
        var shiftStart: [Double] = [], shiftEnd: [Double] = [], capacity: [Double] = []
        var hasBreak: [Bool] = [], breakEarliest: [Double] = [], breakLatest: [Double] = [], breakMinutes: [Double] = []
        var routeIndexOfShift: [[Int]] = []
        for (technicianIndex, technician) in problem.technicians.enumerated() {
            var indices: [Int] = []
            for (shiftIndex, shift) in technician.shifts.enumerated() {
                indices.append(routeTechnician.count)
                routeTechnician.append(technicianIndex)
                routeShift.append(shiftIndex)
                startNode.append(technician.startNode)
                endNode.append(technician.endNode)
                shiftStart.append(shift.start)
                shiftEnd.append(shift.end)
                capacity.append(technician.capacity ?? .infinity)
                hasBreak.append(shift.breakRule != nil)
                breakEarliest.append(shift.breakRule?.window.earliest ?? 0)
                breakLatest.append(shift.breakRule?.window.latest ?? 0)
                breakMinutes.append(shift.breakRule?.minutes ?? 0)
            }
            routeIndexOfShift.append(indices)
        }
        self.routeTechnician = routeTechnician
        self.routeShift = routeShift
        routeStartNode = startNode
        routeEndNode = endNode
        routeShiftStart = shiftStart
        routeShiftEnd = shiftEnd
        routeCapacity = capacity
        routeHasBreak = hasBreak
        routeBreakEarliest = breakEarliest
        routeBreakLatest = breakLatest
        routeBreakMinutes = breakMinutes
        self.routeIndexOfShift = routeIndexOfShift
        routeCount = routeTechnician.count

        let jobs = problem.jobs
        jobNode = jobs.map(\.node)
        jobCompletionWeight = jobs.map { $0.downtimeWeight * weights.downtimeFactor }
        jobDue = jobs.map { $0.dueTime ?? .infinity }
        jobLatenessCost = jobs.map(\.latenessCostPerMinute)
        jobPenalty = jobs.map(\.unassignedPenalty)
        jobDemand = jobs.map(\.demand)
        var offsets = [0], earliest: [Double] = [], latest: [Double] = []
        for job in jobs {
            for window in job.timeWindows.sorted(by: { $0.earliest < $1.earliest }) {
                earliest.append(window.earliest)
                latest.append(window.latest)
            }
            offsets.append(earliest.count)
        }
        windowOffset = offsets
        windowEarliest = earliest
        windowLatest = latest
        jobLastWindowLatest = jobs.map { $0.timeWindows.map(\.latest).max() ?? -.infinity }
        hasSimpleVisits = jobs.map { $0.timeWindows.count == 1 && ($0.latenessCostPerMinute == 0 || $0.dueTime == nil) }

        var pairs = [Int32](repeating: -1, count: jobCount * technicianCount)
        var service: [Double] = [], release: [Double] = []
        var eligible = [[Int]](repeating: [], count: jobCount)
        for (jobIndex, job) in jobs.enumerated() {
            for (technicianIndex, technician) in problem.technicians.enumerated() {
                guard job.requiredSkills.allSatisfy({ (technician.skills[$0.skill] ?? Int.min) >= $0.minimumLevel }),
                      job.demand <= (technician.capacity ?? .infinity)
                else { continue }
                pairs[jobIndex * technicianCount + technicianIndex] = Int32(service.count)
                let level = job.requiredSkills.first.flatMap { technician.skills[$0.skill] }
                service.append(level.flatMap { job.serviceMinutesByLevel[$0] } ?? job.serviceMinutes)
                release.append(job.releaseTimeByTechnician[technician.id] ?? job.releaseTime)
                eligible[jobIndex].append(contentsOf: routeIndexOfShift[technicianIndex])
            }
        }
        pairOfJobAndTechnician = pairs
        pairService = service
        pairRelease = release
        eligibleRoutes = eligible
        travelCostPerMinute = weights.travelCostPerMinute
        travelCostPerDistance = weights.travelCostPerDistance
        fixedCostPerRoute = weights.fixedCostPerRoute
        emptyRouteTwin = findEmptyRouteTwins()
    }

    /// - Complexity: O(routes × distinct routes) comparisons of route data, plus O(jobs) per pair of routes with
    ///   the same data.
    private func findEmptyRouteTwins() -> [Int] {
        var twins = Array(0..<routeCount)
        var distinct: [Int] = []
        for route in 0..<routeCount {
            if let twin = distinct.first(where: { emptyRoutesAreInterchangeable(route, $0) }) {
                twins[route] = twin
            } else {
                distinct.append(route)
            }
        }
        return twins
    }

    private func emptyRoutesAreInterchangeable(_ first: Int, _ second: Int) -> Bool {
        guard routeStartNode[first] == routeStartNode[second], routeEndNode[first] == routeEndNode[second],
              routeShiftStart[first] == routeShiftStart[second], routeShiftEnd[first] == routeShiftEnd[second],
              routeCapacity[first] == routeCapacity[second], routeHasBreak[first] == routeHasBreak[second],
              routeBreakEarliest[first] == routeBreakEarliest[second], routeBreakLatest[first] == routeBreakLatest[second],
              routeBreakMinutes[first] == routeBreakMinutes[second]
        else { return false }
        if routeTechnician[first] == routeTechnician[second] { return true }
        return (0..<jobCount).allSatisfy { job in
            let one = pair(job: job, route: first), other = pair(job: job, route: second)
            if one < 0 || other < 0 { return one == other }
            return pairService[one] == pairService[other] && pairRelease[one] == pairRelease[other]
        }
    }

    /// The same problem priced for packing: travel time, with downtime (× 10⁻⁴) and lateness (× 10⁻²) only breaking
    /// ties, and each job's penalty less its shortest service time, which prices the time a served job takes: at equal
    /// penalties, leaving out long jobs leaves room for more short ones. Short routes leave the most room for
    /// unassigned jobs; this is what distance-minimising solvers do well on over-subscribed days. (A route-duration
    /// term was measured and served fewer jobs; downtime × 10⁻² weighed as much as travel on `fs_n50_k5`.)
    func packingVariant() -> CompiledProblem {
        var packing = self
        packing.jobCompletionWeight = jobCompletionWeight.map { $0 * 0.0001 }
        packing.jobLatenessCost = jobLatenessCost.map { $0 * 0.01 }
        packing.travelCostPerMinute = 1
        packing.travelCostPerDistance = 0
        packing.fixedCostPerRoute = 0
        packing.jobPenalty = (0..<jobCount).map { job in
            jobPenalty[job] - (eligibleRoutes[job].map { pairService[pair(job: job, route: $0)] }.min() ?? 0)
        }
        return packing
    }

    /// Index of the (job, technician-of-route) pair, or -1 when the technician cannot do the job.
    @inline(__always)
    func pair(job: Int, route: Int) -> Int {
        Int(pairOfJobAndTechnician[job * technicianCount + routeTechnician[route]])
    }

    /// Cost of driving from one node to another.
    @inline(__always)
    func legCost(_ from: Int, _ to: Int) -> Double {
        var cost = 0.0
        if travelCostPerMinute != 0 { cost += travelCostPerMinute * travel.time(from, to) }
        if travelCostPerDistance != 0 { cost += travelCostPerDistance * travel.distance(from, to) }
        return cost
    }

    /// Cost of completing `job` at `completion`: weighted downtime plus lateness.
    @inline(__always)
    func visitCost(job: Int, completion: Double) -> Double {
        let late = completion - jobDue[job]
        return jobCompletionWeight[job] * completion + (late > 0 ? late * jobLatenessCost[job] : 0)
    }

    /// Earliest start of service at or after `arrival` inside one of the job's windows and after its release time.
    /// - Returns: the start, or `nil` when every window has closed.
    @inline(__always)
    func earliestStart(job: Int, pair: Int, arrival: Double) -> Double? {
        let ready = max(arrival, pairRelease[pair])
        for window in windowOffset[job]..<windowOffset[job + 1] {
            let start = max(ready, windowEarliest[window])
            if start <= windowLatest[window] { return start }
        }
        return nil
    }
}
