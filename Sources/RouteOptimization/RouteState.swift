/// Where a technician is, when, and whether the shift's break is still to be taken.
struct ScheduleCursor {
    var time: Double
    var node: Int
    var breakPending: Bool
}

/// One route (technician shift) of a search solution with the forward and backward data that make insertion
/// evaluation cheap: completion times and break state after each visit (forward), and a relaxed latest start of
/// each visit (backward, as in Savelsbergh 1992 for time windows), used to reject most infeasible insertions in O(1).
struct RouteState: Sendable {
    var jobs: [Int] = []
    var completion: [Double] = []
    var breakPendingAfter: [Bool] = []
    var latestStart: [Double] = []
    /// Whether the route has no break and its visits have one window each and no lateness cost, so that a delay
    /// at a visit propagates by `shiftedCost` (and `latestStart` is exact for feasibility).
    var hasSimpleSchedule = false
    /// For a simple schedule: waiting before each visit's start (what absorbs a delay).
    var waiting: [Double] = []
    /// For a simple schedule: Σ completion weight of the visits before each position (n + 1 entries).
    var weightBefore: [Double] = []
    /// For a simple schedule: first position at or after each position whose visit waits (n when none), n + 1 entries.
    var nextWaiting: [Int] = []
    var load = 0.0
    /// Visits, travel and fixed cost of this route (0 when empty).
    var cost = 0.0
    /// Visits at positions below this index are frozen: nothing is removed from or inserted into that prefix.
    var lockedPrefix = 0

    /// Change of the weighted completion times when the arrival at the visit at `position` is delayed by `delay` > 0
    /// on a simple schedule: each visit absorbs what it waited, the rest moves on (the prefix sums make runs of
    /// visits that do not wait O(1), as in the forward time slack of Savelsbergh 1992).
    /// - Complexity: O(1) when no visit from `position` on has a weight (the travel objective), else O(1 + visits
    ///   that wait at or after `position`).
    func shiftedCost(from position: Int, delay: Double) -> Double {
        let count = jobs.count
        // The prefix sums of non-negative weights do not decrease, so equal ends mean every term below is zero.
        if weightBefore[count] == weightBefore[position] { return 0 }
        var change = 0.0, remaining = delay, index = position
        while index < count {
            let waiter = nextWaiting[index]
            change += remaining * (weightBefore[waiter] - weightBefore[index])
            if waiter == count { break }
            remaining -= waiting[waiter]
            if remaining <= 0 { break }
            change += remaining * (weightBefore[waiter + 1] - weightBefore[waiter])
            index = waiter + 1
        }
        return change
    }
}

extension CompiledProblem {
    func startCursor(route: Int) -> ScheduleCursor {
        ScheduleCursor(time: routeShiftStart[route], node: routeStartNode[route], breakPending: routeHasBreak[route])
    }

    /// Drives to `job` and serves it as early as possible, taking the break first when the `BreakRule` says so.
    /// - Returns: the completion time, or `nil` when the job or the break can no longer be started in time.
    /// - Complexity: O(windows of the job).
    @inline(__always)
    func serve(_ job: Int, pair: Int, route: Int, cursor: inout ScheduleCursor) -> Double? {
        let node = jobNode[job]
        let drive = travel.time(cursor.node, node)
        if cursor.breakPending {
            let breakStart = max(cursor.time, routeBreakEarliest[route])
            if breakStart > routeBreakLatest[route] { return nil }
            guard let startWithoutBreak = earliestStart(job: job, pair: pair, arrival: cursor.time + drive) else { return nil }
            let breakEnd = breakStart + routeBreakMinutes[route]
            if startWithoutBreak + pairService[pair] > routeBreakLatest[route] || breakEnd + drive <= startWithoutBreak {
                cursor.time = breakEnd
                cursor.breakPending = false
            }
        }
        guard let start = earliestStart(job: job, pair: pair, arrival: cursor.time + drive) else { return nil }
        cursor.time = start + pairService[pair]
        cursor.node = node
        return cursor.time
    }

    /// Takes a pending break and drives to the end location.
    /// - Returns: the return time, or `nil` when the break or the shift end is missed.
    @inline(__always)
    func returnTime(route: Int, cursor: ScheduleCursor) -> Double? {
        var time = cursor.time
        if cursor.breakPending {
            let breakStart = max(time, routeBreakEarliest[route])
            if breakStart > routeBreakLatest[route] { return nil }
            time = breakStart + routeBreakMinutes[route]
        }
        let back = time + travel.time(cursor.node, routeEndNode[route])
        return back <= routeShiftEnd[route] ? back : nil
    }

    /// Schedules `jobs` on `route` from scratch.
    /// - Returns: the route with its forward/backward data and cost, or `nil` when infeasible.
    /// - Complexity: O(n) for n jobs.
    func buildRoute(_ route: Int, jobs: [Int], lockedPrefix: Int = 0) -> RouteState? {
        var state = RouteState()
        state.lockedPrefix = lockedPrefix
        guard !jobs.isEmpty else { return state }
        state.jobs = jobs
        state.completion.reserveCapacity(jobs.count)
        state.breakPendingAfter.reserveCapacity(jobs.count)
        var cursor = startCursor(route: route)
        var cost = fixedCostPerRoute
        for job in jobs {
            let pair = pair(job: job, route: route)
            guard pair >= 0 else { return nil }
            cost += legCost(cursor.node, jobNode[job])
            guard let completion = serve(job, pair: pair, route: route, cursor: &cursor) else { return nil }
            cost += visitCost(job: job, completion: completion)
            state.completion.append(completion)
            state.breakPendingAfter.append(cursor.breakPending)
            state.load += jobDemand[job]
        }
        guard state.load <= routeCapacity[route], returnTime(route: route, cursor: cursor) != nil else { return nil }
        cost += legCost(cursor.node, routeEndNode[route])
        state.cost = cost
        state.hasSimpleSchedule = !routeHasBreak[route] && jobs.allSatisfy { hasSimpleVisits[$0] }
        if state.hasSimpleSchedule { recordWaiting(of: &state, route: route) }
        state.latestStart = [Double](repeating: 0, count: jobs.count)
        var latest = routeShiftEnd[route]
        var nextNode = routeEndNode[route]
        for position in stride(from: jobs.count - 1, through: 0, by: -1) {
            let job = jobs[position]
            let service = pairService[pair(job: job, route: route)]
            latest = min(jobLastWindowLatest[job], latest - travel.time(jobNode[job], nextNode) - service)
            state.latestStart[position] = latest
            nextNode = jobNode[job]
        }
        return state
    }

    /// Fills the waiting and weight data of a simple schedule from its completion times.
    /// - Complexity: O(n).
    private func recordWaiting(of state: inout RouteState, route: Int) {
        let count = state.jobs.count
        state.waiting = [Double](repeating: 0, count: count)
        state.weightBefore = [Double](repeating: 0, count: count + 1)
        state.nextWaiting = [Int](repeating: count, count: count + 1)
        var node = routeStartNode[route], departure = routeShiftStart[route]
        for (position, job) in state.jobs.enumerated() {
            let start = state.completion[position] - pairService[pair(job: job, route: route)]
            state.waiting[position] = max(0, start - (departure + travel.time(node, jobNode[job])))
            state.weightBefore[position + 1] = state.weightBefore[position] + jobCompletionWeight[job]
            node = jobNode[job]
            departure = state.completion[position]
        }
        for position in stride(from: count - 1, through: 0, by: -1) {
            state.nextWaiting[position] = state.waiting[position] > 0 ? position : state.nextWaiting[position + 1]
        }
    }

    /// Exact change of route cost when `job` is inserted before position `position` (at the end when it equals the
    /// route length). Simulates forward from the insertion point and stops as soon as a later visit completes at
    /// its old time with the same break state, since the rest of the schedule is then unchanged; an O(1) test on
    /// the latest-start data and a lower bound reject most positions first.
    /// - Parameter bound: positions whose cost change reaches `bound` are abandoned.
    /// - Returns: the cost change, or `.infinity` when infeasible or not below `bound`.
    /// - Complexity: O(1) for most rejected positions, O(k) otherwise for the k visits whose times move.
    func insertionCost(of job: Int, pair: Int, into state: RouteState, route: Int, at position: Int, bound: Double) -> Double {
        let count = state.jobs.count
        var cursor: ScheduleCursor
        if position == 0 {
            cursor = startCursor(route: route)
        } else {
            cursor = ScheduleCursor(time: state.completion[position - 1], node: jobNode[state.jobs[position - 1]], breakPending: state.breakPendingAfter[position - 1])
        }
        let nextNode = position < count ? jobNode[state.jobs[position]] : routeEndNode[route]
        let node = jobNode[job]
        var delta = legCost(cursor.node, node) + legCost(node, nextNode)
        delta += count == 0 ? fixedCostPerRoute : -legCost(cursor.node, nextNode)
        // Lower bound and O(1) rejection, ignoring the break (which can only delay).
        guard let relaxedStart = earliestStart(job: job, pair: pair, arrival: cursor.time + travel.time(cursor.node, node)) else { return .infinity }
        let relaxedCompletion = relaxedStart + pairService[pair]
        let relaxedNextArrival = relaxedCompletion + travel.time(node, nextNode)
        if position < count {
            if relaxedNextArrival > state.latestStart[position] { return .infinity }
        } else if relaxedNextArrival > routeShiftEnd[route] {
            return .infinity
        }
        delta += visitCost(job: job, completion: relaxedCompletion)
        if delta >= bound { return .infinity }
        if state.hasSimpleSchedule && hasSimpleVisits[job] {
            // Exact without simulation: the relaxed times are the times, and the next visit's latest start (checked
            // above) guarantees the rest of the route.
            guard position < count else { return delta < bound ? delta : .infinity }
            let oldArrival = state.completion[position] - pairService[self.pair(job: state.jobs[position], route: route)] - state.waiting[position]
            let delay = relaxedNextArrival - oldArrival
            if delay >= 0 {
                delta += state.shiftedCost(from: position, delay: delay)
                return delta < bound ? delta : .infinity
            }
        }
        delta -= visitCost(job: job, completion: relaxedCompletion)
        // Exact simulation.
        guard let completion = serve(job, pair: pair, route: route, cursor: &cursor) else { return .infinity }
        delta += visitCost(job: job, completion: completion)
        var index = position
        while index < count {
            let next = state.jobs[index]
            guard let newCompletion = serve(next, pair: self.pair(job: next, route: route), route: route, cursor: &cursor) else { return .infinity }
            if newCompletion == state.completion[index] && cursor.breakPending == state.breakPendingAfter[index] {
                return delta < bound ? delta : .infinity
            }
            delta += visitCost(job: next, completion: newCompletion) - visitCost(job: next, completion: state.completion[index])
            if delta >= bound { return .infinity }
            index += 1
        }
        guard returnTime(route: route, cursor: cursor) != nil else { return .infinity }
        return delta < bound ? delta : .infinity
    }
}
