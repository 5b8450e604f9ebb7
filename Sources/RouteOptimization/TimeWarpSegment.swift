/// What a sequence of consecutive visits (or a route's start or end) contributes to its route's time warp and
/// load, so that the time warp of a route assembled from pieces is found in O(1) per concatenation: the
/// subsequence concatenation of Vidal, T., Crainic, T. G., Gendreau, M. & Prins, C. (2013), "A hybrid genetic
/// algorithm with adaptive diversity management for a large class of vehicle routing problems with time-windows",
/// *Computers & Operations Research* 40(1):475-489, https://doi.org/10.1016/j.cor.2012.07.018 (§4.2), which yields
/// the time warp of Nagata, Bräysy & Dullaert (2010) that `CompiledProblem.infeasibility` computes visit by visit.
struct TimeWarpSegment {
    /// Service, travel and waiting time from the first start of service to the last completion.
    var duration: Double
    var timeWarp: Double
    /// Earliest and latest start of the first service with no more waiting or time warp than `duration` and
    /// `timeWarp`.
    var earliest: Double
    var latest: Double
    var load: Double
    var firstNode: Int
    var lastNode: Int
}

extension CompiledProblem {
    /// Whether `job` served by the technician of `pair` has a time-warp segment: one window, and a release time
    /// no later than its close (a later release warps time whatever the arrival, which a segment cannot express).
    @inline(__always)
    func hasTimeWarpSegment(job: Int, pair: Int) -> Bool {
        windowOffset[job + 1] - windowOffset[job] == 1 && pairRelease[pair] <= jobLastWindowLatest[job]
    }

    /// The segment of `job` served on `route`, or `nil` when the technician cannot do it or the visit has none
    /// (`hasTimeWarpSegment(job:pair:)`).
    @inline(__always)
    func visitSegment(_ job: Int, route: Int) -> TimeWarpSegment? {
        let pair = pair(job: job, route: route)
        guard pair >= 0, hasTimeWarpSegment(job: job, pair: pair) else { return nil }
        let window = windowOffset[job]
        return TimeWarpSegment(duration: pairService[pair], timeWarp: 0, earliest: max(windowEarliest[window], pairRelease[pair]),
                               latest: windowLatest[window], load: jobDemand[job], firstNode: jobNode[job], lastNode: jobNode[job])
    }

    /// The start of `route`: the technician leaves at the shift start.
    func startSegment(route: Int) -> TimeWarpSegment {
        let start = routeShiftStart[route]
        return TimeWarpSegment(duration: 0, timeWarp: 0, earliest: start, latest: start, load: 0, firstNode: routeStartNode[route], lastNode: routeStartNode[route])
    }

    /// The end of `route`: back by the shift end; a later return counts as time warp.
    func endSegment(route: Int) -> TimeWarpSegment {
        TimeWarpSegment(duration: 0, timeWarp: 0, earliest: -.infinity, latest: routeShiftEnd[route], load: 0, firstNode: routeEndNode[route], lastNode: routeEndNode[route])
    }

    /// `first` followed by `second` (Vidal et al. 2013, §4.2).
    /// - Complexity: O(1).
    @inline(__always)
    func concatenate(_ first: TimeWarpSegment, _ second: TimeWarpSegment) -> TimeWarpSegment {
        let drive = travel.time(first.lastNode, second.firstNode)
        let offset = first.duration - first.timeWarp + drive
        let waiting = max(second.earliest - offset - first.latest, 0)
        let warp = max(first.earliest + offset - second.latest, 0)
        return TimeWarpSegment(
            duration: first.duration + second.duration + drive + waiting, timeWarp: first.timeWarp + second.timeWarp + warp,
            earliest: max(second.earliest - offset, first.earliest) - waiting, latest: min(second.latest - offset, first.latest) + warp,
            load: first.load + second.load, firstNode: first.firstNode, lastNode: second.lastNode)
    }

    /// Infeasibility (as `infeasibility(of:route:)`) of a whole route made of `segment` (start and end included).
    @inline(__always)
    func infeasibility(ofWhole segment: TimeWarpSegment, route: Int) -> Double {
        segment.timeWarp + max(0, segment.load - routeCapacity[route])
    }
}

/// The prefix and suffix segments of one route's visits, so that removing, inserting or replacing one visit is
/// priced in O(1); `nil` for routes with a break or a visit without a segment (priced visit by visit instead).
struct RouteSegments {
    private(set) var route = -1
    /// `prefix[i]`: the start and the first i visits.
    private(set) var prefix: [TimeWarpSegment] = []
    /// `suffix[i]`: visits i... and the end.
    private(set) var suffix: [TimeWarpSegment] = []
    /// `visits[i]`: visit i alone.
    private(set) var visits: [TimeWarpSegment] = []

    /// Empty storage for `refill(jobs:route:compiled:)`.
    init() {}

    /// - Complexity: O(n) for n visits.
    init?(jobs: [Int], route: Int, compiled: CompiledProblem) {
        guard refill(jobs: jobs, route: route, compiled: compiled) else { return nil }
    }

    /// Recomputes the segments for `jobs` on `route`, reusing the storage.
    /// - Returns: `false` (and the segments are unusable) for a route with a break or a visit without a segment.
    /// - Complexity: O(n) for n visits.
    mutating func refill(jobs: [Int], route: Int, compiled: CompiledProblem) -> Bool {
        guard !compiled.routeHasBreak[route] else { return false }
        self.route = route
        prefix.removeAll(keepingCapacity: true)
        visits.removeAll(keepingCapacity: true)
        suffix.removeAll(keepingCapacity: true)
        prefix.append(compiled.startSegment(route: route))
        for job in jobs {
            guard let visit = compiled.visitSegment(job, route: route) else { return false }
            visits.append(visit)
            prefix.append(compiled.concatenate(prefix[prefix.count - 1], visit))
        }
        suffix.append(contentsOf: repeatElement(compiled.endSegment(route: route), count: jobs.count + 1))
        for index in stride(from: jobs.count - 1, through: 0, by: -1) {
            suffix[index] = compiled.concatenate(visits[index], suffix[index + 1])
        }
        return true
    }

    /// The segment of the visit of `job` on this route, or `nil` when it has none (or the technician cannot do it).
    func visit(_ job: Int, compiled: CompiledProblem) -> TimeWarpSegment? {
        compiled.visitSegment(job, route: route)
    }

    /// Infeasibility of the route without the visit at `index`.
    func removing(_ index: Int, compiled: CompiledProblem) -> Double {
        compiled.infeasibility(ofWhole: compiled.concatenate(prefix[index], suffix[index + 1]), route: route)
    }

    /// Infeasibility of the route with `visit` inserted before position `position`.
    func inserting(_ visit: TimeWarpSegment, at position: Int, compiled: CompiledProblem) -> Double {
        compiled.infeasibility(ofWhole: compiled.concatenate(compiled.concatenate(prefix[position], visit), suffix[position]), route: route)
    }

    /// Infeasibility of the route with the visit at `index` moved to each other position at or after `lowest`,
    /// positions counted in the route without it, as in `body(position, infeasibility)`.
    /// - Complexity: O(n): the visits passed over are concatenated one at a time.
    func moving(_ index: Int, from lowest: Int, compiled: CompiledProblem, _ body: (Int, Double) -> Void) {
        let moved = visits[index]
        if index > lowest {
            var between = visits[index - 1]
            for position in stride(from: index - 1, through: lowest, by: -1) {
                if position < index - 1 { between = compiled.concatenate(visits[position], between) }
                let whole = compiled.concatenate(compiled.concatenate(compiled.concatenate(prefix[position], moved), between), suffix[index + 1])
                body(position, compiled.infeasibility(ofWhole: whole, route: route))
            }
        }
        guard index + 1 < visits.count else { return }
        var between = visits[index + 1]
        for position in (index + 1)..<visits.count {
            if position > index + 1 { between = compiled.concatenate(between, visits[position]) }
            let whole = compiled.concatenate(compiled.concatenate(compiled.concatenate(prefix[index], between), moved), suffix[position + 1])
            body(position, compiled.infeasibility(ofWhole: whole, route: route))
        }
    }

    /// Infeasibility of the route with the visit at `index` replaced by `visit`.
    func replacing(_ index: Int, with visit: TimeWarpSegment, compiled: CompiledProblem) -> Double {
        compiled.infeasibility(ofWhole: compiled.concatenate(compiled.concatenate(prefix[index], visit), suffix[index + 1]), route: route)
    }
}
