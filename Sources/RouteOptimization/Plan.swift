/// The ordered visits of one technician shift.
public struct PlannedRoute: Hashable, Sendable {
    /// Index of the technician in `RoutingProblem.technicians`.
    public var technician: Int
    /// Index of the shift in that technician's `shifts`.
    public var shift: Int
    /// Job indices in visiting order.
    public var jobs: [Int]

    /// Creates a route.
    /// - Parameters:
    ///   - technician: technician index.
    ///   - shift: shift index.
    ///   - jobs: job indices in order.
    public init(technician: Int, shift: Int = 0, jobs: [Int]) {
        self.technician = technician
        self.shift = shift
        self.jobs = jobs
    }
}

/// A plan: who does what, in which order; every job not in a route is unassigned. Times follow from the order
/// (every visit starts as early as possible), so they are not stored.
public struct Plan: Hashable, Sendable {
    /// Routes, at most one per technician shift.
    public var routes: [PlannedRoute]
    /// Jobs left out, ascending.
    public var unassigned: [Int]

    /// Creates a plan.
    /// - Parameters:
    ///   - routes: routes.
    ///   - unassigned: unassigned job indices.
    public init(routes: [PlannedRoute], unassigned: [Int]) {
        self.routes = routes
        self.unassigned = unassigned
    }
}

/// Times of one planned visit.
public struct ScheduledVisit: Hashable, Sendable {
    /// Job index.
    public var job: Int
    /// Start of service.
    public var start: Double
    /// End of service (when the unit is restored).
    public var completion: Double
}

/// The price of a plan, broken down.
public struct PlanCost: Hashable, Sendable {
    /// The objective value: the sum of the weighted parts below.
    public var total: Double
    /// Σ downtime weight × completion over served jobs (unweighted by the objective's `downtimeFactor`).
    public var downtime: Double
    /// Σ lateness cost × minutes late.
    public var lateness: Double
    /// Σ travel minutes, including the drive home.
    public var travelMinutes: Double
    /// Σ travel distance, including the drive home.
    public var travelDistance: Double
    /// Routes that serve at least one job.
    public var routesUsed: Int
    /// Σ penalties of unassigned jobs.
    public var unassignedPenalty: Double
    /// Jobs served.
    public var assigned: Int
    /// Jobs left out.
    public var unassigned: Int
}

/// Why a plan is not feasible.
public enum PlanViolation: Error, Hashable, Sendable {
    /// A job appears twice or not at all (neither routed nor unassigned).
    case jobCoverage(job: Int)
    /// A route refers to a technician or shift that does not exist, or a shift has two routes.
    case unknownRoute(technician: Int, shift: Int)
    /// The technician lacks a required skill or the capacity for the job.
    case notQualified(job: Int, technician: Int)
    /// Some visit, the break or the return cannot be scheduled in time, or the load exceeds the capacity.
    case routeInfeasible(technician: Int, shift: Int)
}
