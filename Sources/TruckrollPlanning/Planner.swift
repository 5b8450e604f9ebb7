import FoundationEssentials
import RouteOptimization

/// The result of a planning run.
public struct PlanningOutcome: Sendable {
    /// What the dispatcher reviews.
    public var review: PlanReview
    /// What applying writes.
    public var changes: PlanChanges
    /// Objective of the first plan built, before the search improved it.
    public var initialObjective: Double
    /// Search iterations.
    public var iterations: Int
}

/// Why a run could not produce a plan.
public struct PlanningError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension PlanningProblem {
    /// Solves the problem and prepares the review and the changes.
    /// - Parameters:
    ///   - options: repair or fresh plan, limits, seed.
    ///   - elapsedFraction: the share of the time limit used so far (the caller owns the clock).
    ///   - onImprovement: called with each new best objective, from the solver's thread.
    public func solve(_ options: PlanningOptions, elapsedFraction: @escaping @Sendable () -> Double,
                      onImprovement: (@Sendable (Double) -> Void)? = nil) async throws(PlanningError) -> PlanningOutcome {
        let optimizer: RouteOptimizer
        if let prepared = self.optimizer {
            optimizer = prepared
        } else {
            do { optimizer = try RouteOptimizer(problem: routing) } catch { throw PlanningError(description: "the problem is not valid: \(error)") }
        }
        let repairing = options.repair || options.disruptionBudget != nil
        let reoptimization = repairing ? Reoptimization(currentPlan: currentPlan, now: 0, frozenMinutes: options.frozenMinutes,
                                                        disruptionBudget: options.disruptionBudget) : nil
        let result: OptimizationResult
        do {
            result = try await optimizer.optimize(OptimizerOptions(
                seed: options.seed, limits: SearchLimits(maxIterations: options.maxIterations, elapsedFraction: elapsedFraction),
                reoptimization: reoptimization, onImprovement: onImprovement))
        } catch {
            throw PlanningError(description: describe(error))
        }
        let explanations = (try? optimizer.explain(result.plan)) ?? []
        let review = try review(of: result.plan, objective: result.cost.total, optimizer: optimizer, explanations: explanations)
        return PlanningOutcome(review: review, changes: changes(for: review), initialObjective: result.initialCost, iterations: result.iterations)
    }

    private func describe(_ error: OptimizationError) -> String {
        switch error {
        case .infeasiblePinnedVisits(let technician, _):
            "the visits in progress or locked of technician \(snapshot.technicians[snapshotTechnician[technician]].code) cannot all be kept in their shift: unlock or rebook a locked visit"
        case .invalidCurrentPlan(let violation): "the booked visits do not form a valid plan: \(violation)"
        case .pinnedVisitMoved(let job): "request \(snapshot.requests[requestOfJob[job]].id) is locked to a technician who cannot do it"
        }
    }

    // MARK: review

    /// A visit placed on a route, in minutes.
    private struct Placed {
        let request: Int
        let start: Date
        let end: Date
    }

    private func review(of plan: Plan, objective: Double, optimizer: RouteOptimizer, explanations: [JobExplanation]) throws(PlanningError) -> PlanReview {
        let visits: [ScheduledVisit]
        do { visits = try optimizer.evaluate(plan).visits } catch { throw PlanningError(description: "the solver returned an infeasible plan: \(error)") }
        let scheduleOf = Dictionary(uniqueKeysWithValues: visits.map { ($0.job, $0) })
        let explanationOf = Dictionary(uniqueKeysWithValues: explanations.map { ($0.job, $0.outcome) })
        var routes: [RouteReview] = []
        var placedRoutes: [(technician: Int, shiftEnd: Date, visits: [Placed])] = []
        for route in plan.routes where !route.jobs.isEmpty {
            let technician = routing.technicians[route.technician]
            let person = snapshot.technicians[snapshotTechnician[route.technician]]
            let shift = technician.shifts[route.shift]
            var node = technician.startNode
            var departure = shift.start
            var reviews: [VisitReview] = []
            var placed: [Placed] = []
            for job in route.jobs {
                guard let schedule = scheduleOf[job] else { continue }
                let request = snapshot.requests[requestOfJob[job]]
                let travel = routing.travel.time(node, routing.jobs[job].node)
                let visit = visitOfJob[job]
                let change: String = switch visit {
                case nil: "new"
                case let visit? where visit.isInProgress || visit.locked: "kept"
                case let visit? where visit.technicianID != person.id: "reassigned"
                case let visit? where abs(visit.plannedStart.timeIntervalSince(date(schedule.start))) >= 60
                    || visit.plannedMinutes != Self.bookedMinutes(schedule.completion - schedule.start): "moved"
                default: "unchanged"
                }
                let why = if lateLockedJobs.contains(job), let booked = visit?.plannedStart {
                    "locked, starting \(Int((date(schedule.start).timeIntervalSince(booked) / 60).rounded())) min after its booked start: \(person.code) cannot be there sooner"
                } else {
                    explanationOf[job].map { explain($0) } ?? ""
                }
                reviews.append(VisitReview(
                    requestId: request.id, visitId: visit?.id, priority: request.priority, summary: request.summary,
                    arrival: date(departure + travel), start: date(schedule.start), end: date(schedule.completion), travelMinutes: travel,
                    downtimeCost: downtimeCost(request, until: date(schedule.completion)), sla: slaStatus(request, restoredAt: date(schedule.completion)),
                    restoreDue: request.restoreDue, change: change, bringParts: partAdvice(for: request, technician: route.technician),
                    why: why))
                placed.append(Placed(request: requestOfJob[job], start: date(schedule.start), end: date(schedule.completion)))
                node = routing.jobs[job].node
                departure = schedule.completion
            }
            let home = routing.travel.time(node, technician.endNode)
            let shiftEnd = route.shift == 0 ? bookedShiftEnd[route.technician] ?? date(shift.end) : date(shift.end)
            routes.append(RouteReview(
                technicianId: person.id, technicianCode: person.code, technicianName: person.name,
                shiftStart: date(shift.start), shiftEnd: shiftEnd, visits: reviews,
                travelMinutes: reviews.reduce(home) { $0 + $1.travelMinutes },
                overtimeMinutes: max(0, date(departure + home).timeIntervalSince(shiftEnd) / 60)))
            placedRoutes.append((snapshotTechnician[route.technician], shiftEnd, placed))
        }
        var unassigned = excluded.map { index, reason in
            let request = snapshot.requests[index]
            return UnassignedReview(requestId: request.id, priority: request.priority, summary: request.summary, reason: reason)
        }
        for job in plan.unassigned {
            let request = snapshot.requests[requestOfJob[job]]
            let reason = explanationOf[job].map { explain($0, job: job) } ?? "left out"
            unassigned.append(UnassignedReview(requestId: request.id, priority: request.priority, summary: request.summary, reason: reason))
        }
        return PlanReview(
            travelModel: travelModel.description, horizonStart: snapshot.now, horizonEnd: snapshot.horizon.end, objective: objective,
            kpis: kpis(placedRoutes), currentPlan: kpis(currentPlacements()), naiveDispatch: kpis(naivePlacements()),
            baseline: nil, routes: routes, unassigned: unassigned)
    }

    /// The booked visits as they stand (the dispatch board): routes per technician with downtime cost and SLA status,
    /// and their figures.
    public func currentBoard() -> (routes: [RouteReview], kpis: PlanKPIs) {
        let placements = currentPlacements()
        let routes = placements.map { route in
            let technician = snapshot.technicians[route.technician]
            var position = technician.home
            var travelMinutes = 0.0
            let visits = route.visits.map { placed in
                let request = snapshot.requests[placed.request]
                let leg = travelModel.leg(from: position, to: request.location)
                travelMinutes += leg.minutes
                position = request.location
                let visit = snapshot.visits.first { $0.requestID == request.id }
                return VisitReview(
                    requestId: request.id, visitId: visit?.id, priority: request.priority, summary: request.summary,
                    arrival: placed.start, start: placed.start, end: placed.end, travelMinutes: leg.minutes,
                    downtimeCost: downtimeCost(request, until: placed.end), sla: slaStatus(request, restoredAt: placed.end),
                    restoreDue: request.restoreDue, change: visit?.status ?? "", bringParts: [], why: "")
            }
            let home = travelModel.leg(from: position, to: technician.home).minutes
            let lastEnd = route.visits.last?.end ?? route.shiftEnd
            return RouteReview(
                technicianId: technician.id, technicianCode: technician.code, technicianName: technician.name,
                shiftStart: technician.shifts.first?.start ?? snapshot.now, shiftEnd: route.shiftEnd, visits: visits,
                travelMinutes: travelMinutes + home,
                overtimeMinutes: max(0, lastEnd.addingTimeInterval(home * 60).timeIntervalSince(route.shiftEnd) / 60))
        }
        return (routes, kpis(placements))
    }

    /// The booked visits as they stand, per technician in booked order.
    private func currentPlacements() -> [(technician: Int, shiftEnd: Date, visits: [Placed])] {
        let requestIndex = Dictionary(uniqueKeysWithValues: snapshot.requests.enumerated().map { ($1.id, $0) })
        let technicianIndex = Dictionary(uniqueKeysWithValues: snapshot.technicians.enumerated().map { ($1.id, $0) })
        var byTechnician: [Int: [Placed]] = [:]
        for visit in snapshot.visits {
            guard let request = requestIndex[visit.requestID], technicianIndex[visit.technicianID] != nil,
                  visit.isInProgress || visit.plannedStart < snapshot.horizon.end else { continue }
            byTechnician[visit.technicianID, default: []].append(Placed(request: request, start: visit.plannedStart, end: visit.plannedEnd))
        }
        return byTechnician.sorted { $0.key < $1.key }.map { technicianID, visits in
            let technician = technicianIndex[technicianID]!
            let sorted = visits.sorted { $0.start < $1.start }
            let shiftEnd = snapshot.technicians[technician].shifts.first { $0.end > (sorted.last?.start ?? snapshot.now) }?.end
                ?? sorted.last?.end ?? snapshot.now
            return (technician, shiftEnd, sorted)
        }
    }

    /// The naive dispatch of every job given to the optimiser, calls in the order they came in.
    private func naivePlacements() -> [(technician: Int, shiftEnd: Date, visits: [Placed])] {
        let order = routing.jobs.indices.sorted {
            (snapshot.requests[requestOfJob[$0]].reportedAt, $0) < (snapshot.requests[requestOfJob[$1]].reportedAt, $1)
        }
        var routes: [[Int]: [Placed]] = [:]
        for placement in NaiveDispatch.dispatch(routing, order: order) {
            routes[[placement.technician, placement.shift], default: []].append(
                Placed(request: requestOfJob[placement.job], start: date(placement.start), end: date(placement.completion)))
        }
        return routes.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, visits in
            (snapshotTechnician[key[0]], date(routing.technicians[key[0]].shifts[key[1]].end), visits)
        }
    }

    /// The figures of routes (each visit from the previous site, or home; then home).
    private func kpis(_ routes: [(technician: Int, shiftEnd: Date, visits: [Placed])]) -> PlanKPIs {
        var kpis = PlanKPIs(downtimeCost: 0, slaBreaches: 0, slaAtRisk: 0, travelMinutes: 0, travelKm: 0, overtimeMinutes: 0, assigned: 0, unassigned: 0)
        var restoredAt: [Int: Date] = [:]
        for route in routes {
            let home = snapshot.technicians[route.technician].home
            var position = home
            for visit in route.visits {
                let leg = travelModel.leg(from: position, to: snapshot.requests[visit.request].location)
                kpis.travelMinutes += leg.minutes
                kpis.travelKm += leg.kilometres
                position = snapshot.requests[visit.request].location
                restoredAt[visit.request] = visit.end
            }
            let back = travelModel.leg(from: position, to: home)
            kpis.travelMinutes += back.minutes
            kpis.travelKm += back.kilometres
            if let last = route.visits.last {
                kpis.overtimeMinutes += max(0, last.end.addingTimeInterval(back.minutes * 60).timeIntervalSince(route.shiftEnd) / 60)
            }
        }
        for (index, request) in snapshot.requests.enumerated() {
            let restored = restoredAt[index]
            kpis.downtimeCost += downtimeCost(request, until: restored ?? snapshot.horizon.end)
            switch slaStatus(request, restoredAt: restored ?? .distantFuture) {
            case "breached": kpis.slaBreaches += 1
            case "at_risk": kpis.slaAtRisk += 1
            default: break
            }
            if restored == nil { kpis.unassigned += 1 } else { kpis.assigned += 1 }
        }
        return kpis
    }

    private func downtimeCost(_ request: PlanningRequest, until end: Date) -> Double {
        (request.downtimeCostPerHour * max(0, end.timeIntervalSince(request.reportedAt)) / 3600 * 100).rounded() / 100
    }

    private func slaStatus(_ request: PlanningRequest, restoredAt: Date) -> String {
        guard let due = request.restoreDue else { return "none" }
        if restoredAt > due { return "breached" }
        return restoredAt > due.addingTimeInterval(-1800) ? "at_risk" : "on_time"
    }

    private func partAdvice(for request: PlanningRequest, technician routingIndex: Int) -> [PartAdvice] {
        let technician = snapshot.technicians[snapshotTechnician[routingIndex]]
        let firstShift = routing.technicians[routingIndex].shifts.first.map { date($0.start) } ?? snapshot.now
        return PartsAvailability.constrainingParts(of: request, policy: policy).map { part in
            let source = PartsAvailability.bestSource(of: part, for: request, by: technician, firstShiftStart: firstShift,
                                                      depots: snapshot.depots, policy: policy, travel: travelModel)
            let why = part.likelihood.map { "used on \(Int(($0 * 100).rounded())) % of past visits of this model and problem" } ?? "required"
            return PartAdvice(partId: part.partID, partNumber: part.partNumber, description: part.description, why: why,
                              source: source?.description ?? "not in stock")
        }
    }

    // MARK: explanations

    private func code(_ routingTechnician: Int) -> String { snapshot.technicians[snapshotTechnician[routingTechnician]].code }

    private func money(_ value: Double) -> String { String(Int(value.rounded())) }

    private func explain(_ outcome: JobExplanation.Outcome, job: Int? = nil) -> String {
        switch outcome {
        case .assigned(let assignment):
            switch assignment.reason {
            case .cheaper(let by):
                let alternative = assignment.bestAlternative.map { " than \(code($0.technician))" } ?? ""
                return "\(code(assignment.technician)) costs \(money(by)) less\(alternative) (downtime, SLA and travel)"
            case .noOtherQualifiedTechnician: return "only \(code(assignment.technician)) has the skills"
            case .noRoomWithOtherTechnicians: return "other qualified technicians have no room for it"
            case .heldInPlace: return "kept with \(code(assignment.technician)): in progress, locked, frozen or within the disruption budget"
            }
        case .unassigned(let reason):
            switch reason {
            case .noTechnicianWithSkills:
                let skills = job.map { routing.jobs[$0].requiredSkills.map { "\($0.skill) ≥ \($0.minimumLevel)" }.joined(separator: ", ") } ?? ""
                return "no technician on shift has the skills (\(skills))"
            case .exceedsCapacity: return "too big for any technician's capacity"
            case .windowUnreachable:
                if let job, routing.jobs[job].releaseTimeByTechnician.count == routing.technicians.count,
                   routing.jobs[job].releaseTimeByTechnician.values.allSatisfy({ $0 == .infinity }) {
                    return "waiting for parts: a required part is in no van or depot and has no ETA"
                }
                return "no qualified technician can be there within the access hours (or once the parts are there) in the horizon"
            case .dominatedByMoreUrgentWork: return "qualified technicians' time goes to more urgent work"
            }
        }
    }

    // MARK: changes

    /// The whole minutes a visit of `minutes` is booked for (the visit table allows 5 to 1,440).
    static func bookedMinutes(_ minutes: Double) -> Int {
        max(5, min(1_440, Int(minutes.rounded())))
    }

    private func changes(for review: PlanReview) -> PlanChanges {
        var bookings: [PlanChanges.Booking] = []
        let requestOf = Dictionary(uniqueKeysWithValues: snapshot.requests.map { ($0.id, $0) })
        let visitOf = Dictionary(visitOfJob.values.map { ($0.requestID, $0) }) { first, _ in first }
        for route in review.routes where route.technicianId > 0 {
            var previousEnd = Date.distantPast
            for visit in route.visits {
                let minutes = Self.bookedMinutes(visit.end.timeIntervalSince(visit.start) / 60)
                var start = Date(timeIntervalSince1970: (visit.start.timeIntervalSince1970 / 60).rounded(.up) * 60)
                start = max(start, previousEnd)
                previousEnd = start.addingTimeInterval(Double(minutes) * 60)
                guard let request = requestOf[visit.requestId], visit.change != "kept", visit.change != "unchanged" else { continue }
                let booked = visitOf[visit.requestId]
                bookings.append(PlanChanges.Booking(
                    requestId: request.id, requestVersion: request.version, visitId: booked?.id, visitVersion: booked?.version,
                    technicianId: route.technicianId, plannedStart: start, plannedMinutes: minutes, bringParts: visit.bringParts))
            }
        }
        let planned = Set(review.routes.flatMap { $0.visits.map(\.requestId) })
        let cancellations = visitOfJob.values.filter { !planned.contains($0.requestID) && !$0.isInProgress }.sorted { $0.id < $1.id }.compactMap { visit in
            requestOf[visit.requestID].map {
                PlanChanges.Cancellation(requestId: $0.id, requestVersion: $0.version, visitId: visit.id, visitVersion: visit.version)
            }
        }
        return PlanChanges(bookings: bookings, cancellations: cancellations)
    }
}
