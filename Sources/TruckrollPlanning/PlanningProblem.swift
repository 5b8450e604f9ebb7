import FoundationEssentials
import RouteOptimization

/// The optimiser's problem for a snapshot, and the maps back to requests, technicians and visits.
///
/// Minute 0 is the snapshot's `now`. Every shift becomes a route; a request becomes a job with its site's access
/// hours as time windows, its downtime cost per minute as weight, its restore SLA as due time with a lateness cost,
/// and, per technician, the earliest time the parts it needs can be on site (van stock, depot pick-up, or the RMA's
/// ETA). Visits on the way or on site are pinned first on their technician's route; locked visits are pinned at
/// their booked time, or as soon after it as their technician can be there.
public struct PlanningProblem: Sendable {
    /// The snapshot it was built from.
    public let snapshot: PlanningSnapshot
    /// The optimiser's problem.
    public let routing: RoutingProblem
    /// The travel model used.
    public let travelModel: any TravelModel
    /// For each job, the index of its request in `snapshot.requests`.
    let requestOfJob: [Int]
    /// For each routing technician, the index in `snapshot.technicians`.
    let snapshotTechnician: [Int]
    /// Requests not given to the optimiser, with why.
    let excluded: [(request: Int, reason: String)]
    /// The booked visit of each job, if any.
    let visitOfJob: [Int: OpenVisit]
    /// When the first shift was booked to end, for routing technicians whose shift is stretched to keep their visits
    /// under way (`now` when they were off shift): overtime counts from there.
    let bookedShiftEnd: [Int: Date]
    /// Jobs of locked visits that cannot start at their booked time, kept starting as soon as their technician can
    /// be there.
    let lateLockedJobs: Set<Int>
    /// The booked visits, as a plan the optimiser accepts (visits it cannot schedule are left out).
    let currentPlan: Plan
    /// The prices used.
    let policy: PlanningPolicy
    /// The optimiser, prepared once (`nil` when the problem is invalid: `solve` then says why).
    let optimizer: RouteOptimizer?

    /// The instant of a problem minute.
    func date(_ minute: Double) -> Date { snapshot.now.addingTimeInterval(minute * 60) }

    /// Builds the problem.
    /// - Complexity: O(points² ) for a dense travel matrix, O(requests × technicians) for eligibility and parts.
    public init(snapshot: PlanningSnapshot, policy: PlanningPolicy = PlanningPolicy(), travel: any TravelModel = GreatCircleTravel()) {
        self.snapshot = snapshot
        self.policy = policy
        self.travelModel = travel
        let now = snapshot.now
        let horizonEnd = snapshot.horizon.end.timeIntervalSince(now) / 60
        func minute(_ date: Date) -> Double { date.timeIntervalSince(now) / 60 }

        var points: [Coordinate] = []
        var nodeOfPoint: [Coordinate: Int] = [:]
        func node(_ point: Coordinate) -> Int {
            if let node = nodeOfPoint[point] { return node }
            points.append(point)
            nodeOfPoint[point] = points.count - 1
            return points.count - 1
        }
        let requestIndex = Dictionary(uniqueKeysWithValues: snapshot.requests.enumerated().map { ($1.id, $0) })
        let technicianIndex = Dictionary(uniqueKeysWithValues: snapshot.technicians.enumerated().map { ($1.id, $0) })
        let openVisits = snapshot.visits.filter { requestIndex[$0.requestID] != nil && technicianIndex[$0.technicianID] != nil }
        // The visits under way of each technician, in route order: the one they are busy with now first (on site
        // before en route, then the earliest booked; the route starts at its site), then any other (two units at one
        // site) by booked start.
        let inProgress = Dictionary(grouping: openVisits.filter(\.isInProgress), by: \.technicianID).mapValues { visits in
            visits.sorted { ($0.status == "on_site" ? 0 : 1, $0.plannedStart, $0.id) < ($1.status == "on_site" ? 0 : 1, $1.plannedStart, $1.id) }
        }
        /// Minutes a visit under way still takes.
        func remainingMinutes(_ visit: OpenVisit) -> Double { max(5, visit.plannedEnd.timeIntervalSince(now) / 60) }

        // Technicians: shifts from now on; one on site starts from that site.
        var technicians: [Technician] = []
        var snapshotTechnician: [Int] = []
        var shiftsOf: [[DateInterval]] = []
        var bookedShiftEnd: [Int: Date] = [:]
        for (index, technician) in snapshot.technicians.enumerated() {
            var shifts = technician.shifts.compactMap { shift -> DateInterval? in
                let start = max(shift.start, now)
                return shift.end.timeIntervalSince(start) >= 300 ? DateInterval(start: start, end: shift.end) : nil
            }
            var start = node(technician.home)
            if let visits = inProgress[technician.id], let request = requestIndex[visits[0].requestID] {
                start = node(snapshot.requests[request].location)
                // Visits under way are kept even when they run late: the shift then lasts until the drive home after
                // them (with a margin for the planar travel model of large problems), plus an hour.
                var site = snapshot.requests[request].location
                var minutes = 0.0
                for visit in visits {
                    let next = requestIndex[visit.requestID].map { snapshot.requests[$0].location } ?? site
                    minutes += travel.leg(from: site, to: next).minutes * 1.02 + remainingMinutes(visit)
                    site = next
                }
                let homeBy = now.addingTimeInterval((minutes + travel.leg(from: site, to: technician.home).minutes * 1.02 + 1) * 60)
                if !(shifts.first.map { $0.start <= now } ?? false) || shifts[0].end < homeBy {
                    let booked = shifts.first.map { $0.start <= now ? $0.end : now } ?? now
                    bookedShiftEnd[technicians.count] = booked
                    let end = max(homeBy.addingTimeInterval(3600), booked)
                    if let first = shifts.first, first.start <= now { shifts.removeFirst() }
                    shifts.insert(DateInterval(start: now, end: end), at: 0)
                }
            }
            guard !shifts.isEmpty else { continue }
            technicians.append(Technician(
                id: .init(String(technician.id)), startNode: start, endNode: node(technician.home),
                shifts: shifts.map { Shift(start: minute($0.start), end: minute($0.end)) }, skills: technician.skills))
            snapshotTechnician.append(index)
            shiftsOf.append(shifts)
        }
        let routingIndexOfTechnician = Dictionary(uniqueKeysWithValues: snapshotTechnician.enumerated().map { (snapshot.technicians[$1].id, $0) })

        // Jobs.
        var jobs: [Job] = []
        var requestOfJob: [Int] = []
        var excluded: [(request: Int, reason: String)] = []
        var visitOfJob: [Int: OpenVisit] = [:]
        var pins: [PinnedVisit] = []
        // Pinned visits are listed in route order: visits under way in the order of `inProgress`, then locked
        // visits by booked start.
        var pinOrder: [Int: (rank: Int, start: Date)] = [:]
        let visitOfRequest = Dictionary(openVisits.map { ($0.requestID, $0) }) { first, _ in first }
        func shiftIndex(_ technician: Int, containing instant: Date) -> Int? {
            shiftsOf[technician].firstIndex { $0.start <= instant && instant < $0.end }
                ?? shiftsOf[technician].firstIndex { instant < $0.end }
        }
        for (index, request) in snapshot.requests.enumerated() {
            let visit = visitOfRequest[request.id]
            if let visit, !visit.isInProgress, visit.plannedStart >= snapshot.horizon.end {
                excluded.append((index, "booked after the horizon (visit \(visit.id))"))
                continue
            }
            let weight = policy.downtimeWeightPerMinute(request)
            let lateness = request.restoreDue == nil ? 0 : policy.slaBreachCostPerHour / 60
            var service = Double(visit?.plannedMinutes ?? request.repairMinutes)
            var windows: [TimeWindow]
            var releaseByTechnician: [Technician.ID: Double] = [:]
            var byLevel: [Int: Double] = [:]
            if let visit, visit.isInProgress, let technician = routingIndexOfTechnician[visit.technicianID] {
                service = remainingMinutes(visit)
                let position = inProgress[visit.technicianID]?.firstIndex { $0.id == visit.id } ?? 0
                // Under way now: first on the route, nothing before it; another one under way right after.
                windows = [TimeWindow(earliest: 0, latest: position == 0 ? 0 : max(0, horizonEnd))]
                pins.append(PinnedVisit(job: jobs.count, technician: technician, shift: 0))
                pinOrder[jobs.count] = (position, visit.plannedStart)
            } else {
                if let visit, visit.locked, visit.plannedStart >= now, let technician = routingIndexOfTechnician[visit.technicianID],
                   let shift = shiftIndex(technician, containing: visit.plannedStart) {
                    let start = minute(visit.plannedStart)
                    windows = [TimeWindow(earliest: start, latest: start)]
                    pins.append(PinnedVisit(job: jobs.count, technician: technician, shift: shift))
                    pinOrder[jobs.count] = (Int.max, visit.plannedStart)
                } else {
                    let open = request.accessHours ?? [DateInterval(start: now, end: snapshot.horizon.end)]
                    windows = open.compactMap { interval in
                        let earliest = max(0, minute(interval.start))
                        let closing = min(horizonEnd, minute(interval.end))
                        return closing > earliest ? TimeWindow(earliest: earliest, latest: max(earliest, closing - service)) : nil
                    }
                    guard !windows.isEmpty else {
                        excluded.append((index, "the site is closed for the whole horizon"))
                        continue
                    }
                    if !request.requiredSkills.isEmpty {
                        byLevel = policy.serviceFactorByLevel.mapValues { ($0 * service).rounded() }
                    }
                }
                let parts = PartsAvailability.constrainingParts(of: request, policy: policy)
                for (routingIndex, snapshotIndex) in snapshotTechnician.enumerated() where !parts.isEmpty {
                    let technician = snapshot.technicians[snapshotIndex]
                    guard request.requiredSkills.allSatisfy({ technician.skills[$0.key, default: 0] >= $0.value }) else { continue }
                    let release = PartsAvailability.earliestStart(
                        of: request, needing: parts, by: technician, firstShiftStart: shiftsOf[routingIndex][0].start,
                        depots: snapshot.depots, policy: policy, travel: travel)
                    if let release, release > now { releaseByTechnician[.init(String(technician.id))] = minute(release) }
                    if release == nil { releaseByTechnician[.init(String(technician.id))] = .infinity }
                }
            }
            if let visit { visitOfJob[jobs.count] = visit }
            let skills = request.requiredSkills.sorted { $0.key < $1.key }.map { SkillRequirement(skill: $0.key, minimumLevel: $0.value) }
            jobs.append(Job(
                id: .init(String(request.id)), node: node(request.location), serviceMinutes: service, serviceMinutesByLevel: byLevel,
                timeWindows: windows, requiredSkills: skills, downtimeWeight: weight,
                releaseTime: max(0, minute(request.reportedAt)), releaseTimeByTechnician: releaseByTechnician,
                dueTime: request.restoreDue.map(minute), latenessCostPerMinute: lateness,
                unassignedPenalty: (weight + lateness) * (max(0, horizonEnd) + 1_440) + 1_000))
            requestOfJob.append(index)
        }

        pins.sort { first, second in
            let (a, b) = (pinOrder[first.job]!, pinOrder[second.job]!)
            return a.rank != b.rank ? a.rank < b.rank : a.start < b.start
        }
        let matrix = travel.matrix(points)
        func routingProblem(_ jobs: [Job]) -> RoutingProblem {
            RoutingProblem(technicians: technicians, jobs: jobs, travel: matrix,
                           objective: ObjectiveWeights(downtimeFactor: 1, travelCostPerMinute: policy.travelCostPerHour / 60), pinnedVisits: pins)
        }
        func plan(_ routes: [PlannedRoute]) -> Plan {
            let placed = Set(routes.flatMap(\.jobs))
            return Plan(routes: routes, unassigned: (0..<jobs.count).filter { !placed.contains($0) })
        }
        var routing = routingProblem(jobs)
        var optimizer = try? RouteOptimizer(problem: routing)

        // A locked visit its technician can no longer start at its booked time (the work under way runs late, or the
        // drive from where they are takes longer than the time left) is kept, starting as soon as they can be there,
        // instead of failing the whole run: its window becomes its booked start to the earliest start that route
        // allows, so that nothing else is put before it.
        var lateLockedJobs: Set<Int> = []
        let pinnedRoutes = Dictionary(grouping: pins) { [$0.technician, $0.shift] }
            .map { PlannedRoute(technician: $0.key[0], shift: $0.key[1], jobs: $0.value.map(\.job)) }
        if let strict = optimizer {
            let broken = pinnedRoutes.filter { route in (try? strict.evaluate(plan([route]))) == nil }
            let relaxable = Set(broken.flatMap(\.jobs).filter { visitOfJob[$0].map { $0.locked && !$0.isInProgress } ?? false })
            var relaxed = jobs
            for job in relaxable {
                let booked = minute(visitOfJob[job]!.plannedStart)
                relaxed[job].timeWindows = [TimeWindow(earliest: booked, latest: max(booked, horizonEnd))]
            }
            if !relaxable.isEmpty, let loose = try? RouteOptimizer(problem: routingProblem(relaxed)) {
                var keptLate = false
                // Routes that still cannot be kept (a locked visit past the end of its shift) keep their booked
                // windows and fail the run, saying so.
                for route in broken {
                    guard let visits = try? loose.evaluate(plan([route])).visits else { continue }
                    for visit in visits where relaxable.contains(visit.job) {
                        let booked = relaxed[visit.job].timeWindows[0].earliest
                        jobs[visit.job].timeWindows = [TimeWindow(earliest: booked, latest: max(booked, visit.start + 1e-6))]
                        if visit.start > booked + 1e-6 { lateLockedJobs.insert(visit.job) }
                        keptLate = true
                    }
                }
                if keptLate {
                    routing = routingProblem(jobs)
                    optimizer = try? RouteOptimizer(problem: routing)
                }
            }
        }
        self.routing = routing
        self.requestOfJob = requestOfJob
        self.snapshotTechnician = snapshotTechnician
        self.excluded = excluded
        self.visitOfJob = visitOfJob
        self.bookedShiftEnd = bookedShiftEnd
        self.lateLockedJobs = lateLockedJobs
        self.optimizer = optimizer

        // The booked visits as a plan, in booked order; visits the optimiser cannot schedule there are left out.
        var routes: [PlannedRoute] = []
        var bookedJobs: [[Int]: [(start: Date, job: Int, pinned: Bool)]] = [:]
        let pinnedJobs = Set(pins.map(\.job))
        for (job, visit) in visitOfJob {
            guard let technician = routingIndexOfTechnician[visit.technicianID],
                  let shift = visit.isInProgress ? 0 : shiftIndex(technician, containing: visit.plannedStart) else { continue }
            // Visits under way first, in the order they are pinned.
            let start = visit.isInProgress ? Date.distantPast.addingTimeInterval(Double(pinOrder[job]?.rank ?? 0)) : visit.plannedStart
            bookedJobs[[technician, shift], default: []].append((start, job, pinnedJobs.contains(job)))
        }
        let ordered = bookedJobs.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, booked in
            (key: key, entries: booked.sorted { ($0.start, $0.job) < ($1.start, $1.job) })
        }
        let asBooked = ordered.map { PlannedRoute(technician: $0.key[0], shift: $0.key[1], jobs: $0.entries.map(\.job)) }
        if optimizer.map({ (try? $0.evaluate(plan(asBooked))) != nil }) ?? false {
            currentPlan = plan(asBooked)
        } else {
            // Some route cannot be kept as booked: rebuild each, dropping the visits that do not fit.
            for (key, entries) in ordered {
                var route = PlannedRoute(technician: key[0], shift: key[1], jobs: [])
                for entry in entries {
                    route.jobs.append(entry.job)
                    if optimizer.map({ (try? $0.evaluate(plan([route]))) == nil }) ?? true, !entry.pinned { route.jobs.removeLast() }
                }
                if !route.jobs.isEmpty { routes.append(route) }
            }
            currentPlan = plan(routes)
        }
    }
}
