extension CompiledProblem {
    /// Largest number of jobs for which `routeLowerBound` looks for pairwise incompatible jobs (the pair test costs
    /// O(jobs² × routes)).
    static let incompatibilityBoundJobLimit = 400

    /// A lower bound on the number of routes that serve all of `jobs`: the larger of the capacity bound (their total
    /// demand over the largest route capacity, rounded up) and the size of a set of jobs no two of which fit on one
    /// route (found greedily, as in the route-count bounds of Kontoravdis & Bard 1995 for the VRPTW: Kontoravdis, G.
    /// & Bard, J. F. (1995), "A GRASP for the vehicle routing problem with time windows", *ORSA Journal on Computing*
    /// 7(1):10-23, https://doi.org/10.1287/ijoc.7.1.10). Two jobs fit on a route when its technician can do both,
    /// their demands fit its capacity, and one of them can follow the other within the windows, release times and
    /// shift, breaks ignored (which only makes the bound weaker, never wrong). Fleet minimisation stops there.
    /// - Complexity: O(jobs² × routes) for at most `incompatibilityBoundJobLimit` jobs, O(jobs) otherwise.
    func routeLowerBound(serving jobs: [Int]) -> Int {
        guard !jobs.isEmpty else { return 0 }
        let largestCapacity = routeCapacity.max() ?? .infinity
        let demand = jobs.reduce(0.0) { $0 + jobDemand[$1] }
        var bound = 1
        if largestCapacity.isFinite && largestCapacity > 0 {
            // The tolerance keeps rounding noise in the demand sum from adding a route.
            bound = max(bound, Int((demand / largestCapacity - 1e-9).rounded(.up)))
        }
        guard jobs.count <= Self.incompatibilityBoundJobLimit else { return bound }
        let count = jobs.count
        var incompatible = [[Bool]](repeating: [Bool](repeating: false, count: count), count: count)
        var degree = [Int](repeating: 0, count: count)
        for first in 0..<count {
            for second in (first + 1)..<count where !fitTogether(jobs[first], jobs[second]) {
                incompatible[first][second] = true
                incompatible[second][first] = true
                degree[first] += 1
                degree[second] += 1
            }
        }
        // Greedy cliques of the incompatibility graph, each grown from one of the highest-degree jobs.
        let byDegree = (0..<count).sorted { degree[$0] > degree[$1] || (degree[$0] == degree[$1] && $0 < $1) }
        for seed in byDegree.prefix(20) where degree[seed] + 1 > bound {
            var clique = [seed]
            for candidate in byDegree where candidate != seed && clique.allSatisfy({ incompatible[$0][candidate] }) {
                clique.append(candidate)
            }
            bound = max(bound, clique.count)
        }
        return bound
    }

    /// Whether some route can serve both jobs (in one order or the other), breaks ignored.
    private func fitTogether(_ first: Int, _ second: Int) -> Bool {
        for route in eligibleRoutes[first] {
            let firstPair = pair(job: first, route: route), secondPair = pair(job: second, route: route)
            guard secondPair >= 0, jobDemand[first] + jobDemand[second] <= routeCapacity[route] else { continue }
            if fitsInOrder(first, firstPair, second, secondPair, route: route) || fitsInOrder(second, secondPair, first, firstPair, route: route) {
                return true
            }
        }
        return false
    }

    /// Whether `route` can serve `first` then `second` (earliest schedule, no break).
    private func fitsInOrder(_ first: Int, _ firstPair: Int, _ second: Int, _ secondPair: Int, route: Int) -> Bool {
        let firstNode = jobNode[first], secondNode = jobNode[second]
        guard let firstStart = earliestStart(job: first, pair: firstPair, arrival: routeShiftStart[route] + travel.time(routeStartNode[route], firstNode)),
              let secondStart = earliestStart(job: second, pair: secondPair, arrival: firstStart + pairService[firstPair] + travel.time(firstNode, secondNode))
        else { return false }
        return secondStart + pairService[secondPair] + travel.time(secondNode, routeEndNode[route]) <= routeShiftEnd[route]
    }
}
