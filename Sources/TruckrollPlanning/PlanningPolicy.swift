/// How the planner prices downtime, SLA breaches, travel and work left undone. The defaults are documented in
/// docs/planning.md; every figure is in the company's currency.
public struct PlanningPolicy: Sendable {
    /// Multiplier of the downtime cost by priority: a P1 outage hurts more than its contract rate says.
    public var priorityFactor: [String: Double]
    /// Downtime cost per hour used when the unit and contract give none (billable work still matters).
    public var minimumDowntimeCostPerHour: Double
    /// Cost per hour of finishing past the restore SLA's due time, on top of the downtime.
    public var slaBreachCostPerHour: Double
    /// Cost per hour of a technician driving.
    public var travelCostPerHour: Double
    /// Minutes to pick parts up at a depot.
    public var depotPickupMinutes: Double
    /// A part used on at least this share of past visits of the same model and problem code is brought.
    public var likelyPartThreshold: Double
    /// Service time multiplier by the technician's level in the job's first required skill.
    public var serviceFactorByLevel: [Int: Double]

    /// Creates a policy.
    public init(
        priorityFactor: [String: Double] = ["P1": 2, "P2": 1.5, "P3": 1, "P4": 0.5],
        minimumDowntimeCostPerHour: Double = 20, slaBreachCostPerHour: Double = 300, travelCostPerHour: Double = 30,
        depotPickupMinutes: Double = 15, likelyPartThreshold: Double = 0.3,
        serviceFactorByLevel: [Int: Double] = [1: 1.3, 2: 1.15, 3: 1, 4: 0.9, 5: 0.8]
    ) {
        self.priorityFactor = priorityFactor
        self.minimumDowntimeCostPerHour = minimumDowntimeCostPerHour
        self.slaBreachCostPerHour = slaBreachCostPerHour
        self.travelCostPerHour = travelCostPerHour
        self.depotPickupMinutes = depotPickupMinutes
        self.likelyPartThreshold = likelyPartThreshold
        self.serviceFactorByLevel = serviceFactorByLevel
    }

    /// The planner's cost per minute of a request's downtime.
    func downtimeWeightPerMinute(_ request: PlanningRequest) -> Double {
        max(request.downtimeCostPerHour, minimumDowntimeCostPerHour) * (priorityFactor[request.priority] ?? 1) / 60
    }
}

/// What a planning run is asked to do, beyond the snapshot.
public struct PlanningOptions: Sendable {
    /// Keep the current plan as the starting point: visits starting within `frozenMinutes` stay, and at most
    /// `disruptionBudget` visits change technician.
    public var repair: Bool
    /// Minutes from now during which booked visits are frozen (repair only).
    public var frozenMinutes: Double
    /// Largest number of booked visits that may change technician or be dropped; `nil` for no cap.
    public var disruptionBudget: Int?
    /// Solver time limit, seconds.
    public var timeLimitSeconds: Double
    /// Seed of the search.
    public var seed: UInt64
    /// Iteration cap (for reproducible tests); `nil` to use the time limit only.
    public var maxIterations: Int?

    /// Creates options.
    public init(repair: Bool = false, frozenMinutes: Double = 60, disruptionBudget: Int? = nil, timeLimitSeconds: Double = 10,
                seed: UInt64 = 1, maxIterations: Int? = nil) {
        self.repair = repair
        self.frozenMinutes = frozenMinutes
        self.disruptionBudget = disruptionBudget
        self.timeLimitSeconds = timeLimitSeconds
        self.seed = seed
        self.maxIterations = maxIterations
    }
}

/// Changed inputs of a what-if run.
public struct WhatIf: Sendable, Equatable {
    /// Technicians taken out (off sick, on another job).
    public var unavailableTechnicianIDs: Set<Int>
    /// Extra technicians, each a copy of an existing one (same skills, home, shifts, van stock).
    public var extraTechniciansLike: [Int]
    /// Another disruption budget for the changed run; `nil` keeps the run's.
    public var disruptionBudget: Int?

    /// Creates changes.
    public init(unavailableTechnicianIDs: Set<Int> = [], extraTechniciansLike: [Int] = [], disruptionBudget: Int? = nil) {
        self.unavailableTechnicianIDs = unavailableTechnicianIDs
        self.extraTechniciansLike = extraTechniciansLike
        self.disruptionBudget = disruptionBudget
    }

    /// The run's options with the changed disruption budget, if any.
    public func applied(to options: PlanningOptions) -> PlanningOptions {
        var changed = options
        if let disruptionBudget { changed.disruptionBudget = disruptionBudget }
        return changed
    }

    /// The snapshot with the changes made: unavailable technicians and their bookings removed, copies added with
    /// ids -1, -2, … and codes `EXTRA-1`, ….
    public func applied(to snapshot: PlanningSnapshot) -> PlanningSnapshot {
        var changed = snapshot
        changed.technicians.removeAll { unavailableTechnicianIDs.contains($0.id) }
        changed.visits.removeAll { unavailableTechnicianIDs.contains($0.technicianID) }
        for (index, originalID) in extraTechniciansLike.enumerated() {
            guard var copy = snapshot.technicians.first(where: { $0.id == originalID }) else { continue }
            copy.id = -(index + 1)
            copy.code = "EXTRA-\(index + 1)"
            copy.name = "Extra technician like \(copy.name)"
            changed.technicians.append(copy)
        }
        return changed
    }
}
