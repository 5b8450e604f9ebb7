/// A window on the start of service, in minutes from the planning origin.
public struct TimeWindow: Hashable, Sendable {
    /// Earliest start of service.
    public var earliest: Double
    /// Latest start of service (service may end after it).
    public var latest: Double

    /// Creates a window `[earliest, latest]`.
    /// - Parameters:
    ///   - earliest: earliest start of service.
    ///   - latest: latest start of service.
    public init(earliest: Double, latest: Double) {
        self.earliest = earliest
        self.latest = latest
    }
}

/// A skill a job needs, with the lowest level a technician must hold.
public struct SkillRequirement: Hashable, Sendable {
    /// Skill name.
    public var skill: String
    /// Lowest acceptable level (a technician holding the skill at this level or above qualifies).
    public var minimumLevel: Int

    /// Creates a requirement.
    /// - Parameters:
    ///   - skill: skill name.
    ///   - minimumLevel: lowest acceptable level; 1 when levels are not used.
    public init(skill: String, minimumLevel: Int = 1) {
        self.skill = skill
        self.minimumLevel = minimumLevel
    }
}

/// A break the technician must take during a shift: `minutes` long, starting inside `window`.
///
/// The break is taken at the technician's current position between two visits (never during a visit), by this
/// deterministic rule, evaluated at every departure (shift start and after each visit) while the break is pending:
/// take it now, starting at `max(now, window.earliest)`, if serving the next visit first would end after
/// `window.latest`, or if the break fits entirely in the waiting time before the next visit; at the end of the
/// route a pending break is taken before driving home. A break that would start after `window.latest` makes the
/// route infeasible.
public struct BreakRule: Hashable, Sendable {
    /// Window for the start of the break.
    public var window: TimeWindow
    /// Length of the break in minutes.
    public var minutes: Double

    /// Creates a break rule.
    /// - Parameters:
    ///   - window: window for the start of the break.
    ///   - minutes: length of the break.
    public init(window: TimeWindow, minutes: Double) {
        self.window = window
        self.minutes = minutes
    }
}

/// One working period of a technician (a day of a multi-day horizon).
public struct Shift: Hashable, Sendable {
    /// The technician leaves the start location at exactly this time.
    public var start: Double
    /// The technician must be back at the end location by this time.
    public var end: Double
    /// Optional break during the shift.
    public var breakRule: BreakRule?

    /// Creates a shift.
    /// - Parameters:
    ///   - start: departure time from the start location.
    ///   - end: latest return time at the end location.
    ///   - breakRule: optional break.
    public init(start: Double, end: Double, breakRule: BreakRule? = nil) {
        self.start = start
        self.end = end
        self.breakRule = breakRule
    }
}

/// A field technician: where the day starts and ends, when they work, what they can repair.
public struct Technician: Hashable, Sendable {
    /// Stable technician identifier.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        /// The identifier text.
        public var rawValue: String
        /// Wraps an identifier.
        /// - Parameter rawValue: the identifier text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The identifier text.
        public var description: String { rawValue }
    }

    /// Identifier.
    public var id: ID
    /// Node of the travel matrix where every shift starts.
    public var startNode: Int
    /// Node of the travel matrix where every shift ends.
    public var endNode: Int
    /// Working periods, each planned as its own route.
    public var shifts: [Shift]
    /// Skills held, by name, with their level (1 when levels are not used).
    public var skills: [String: Int]
    /// Load limit per shift (Σ job demand); `nil` means unlimited.
    public var capacity: Double?

    /// Creates a technician.
    /// - Parameters:
    ///   - id: identifier.
    ///   - startNode: matrix node where shifts start.
    ///   - endNode: matrix node where shifts end.
    ///   - shifts: working periods.
    ///   - skills: skill levels by name.
    ///   - capacity: load limit per shift, or `nil`.
    public init(id: ID, startNode: Int, endNode: Int, shifts: [Shift], skills: [String: Int] = [:], capacity: Double? = nil) {
        self.id = id
        self.startNode = startNode
        self.endNode = endNode
        self.shifts = shifts
        self.skills = skills
        self.capacity = capacity
    }
}

/// A visit to restore a unit: where, how long, when, by whom, and what waiting costs.
public struct Job: Hashable, Sendable {
    /// Stable job identifier.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        /// The identifier text.
        public var rawValue: String
        /// Wraps an identifier.
        /// - Parameter rawValue: the identifier text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The identifier text.
        public var description: String { rawValue }
    }

    /// Identifier.
    public var id: ID
    /// Node of the travel matrix.
    public var node: Int
    /// Service duration in minutes.
    public var serviceMinutes: Double
    /// Service duration by the technician's level in the first required skill; overrides `serviceMinutes`.
    public var serviceMinutesByLevel: [Int: Double]
    /// Windows on the start of service (at least one; the earliest feasible one is used).
    public var timeWindows: [TimeWindow]
    /// Skills required, each with a minimum level.
    public var requiredSkills: [SkillRequirement]
    /// Downtime cost per minute until the visit is completed.
    public var downtimeWeight: Double
    /// Earliest start of service for any technician (fault time); `-infinity` when unconstrained.
    public var releaseTime: Double
    /// Earliest start per technician (for example when the part reaches that technician's van); overrides `releaseTime`.
    public var releaseTimeByTechnician: [Technician.ID: Double]
    /// Completion time after which lateness is charged (the SLA), or `nil`.
    public var dueTime: Double?
    /// Cost per minute of completion past `dueTime`.
    public var latenessCostPerMinute: Double
    /// Cost when the job is left unassigned.
    public var unassignedPenalty: Double
    /// Load the job takes from the technician's capacity.
    public var demand: Double

    /// Creates a job.
    /// - Parameters:
    ///   - id: identifier.
    ///   - node: matrix node.
    ///   - serviceMinutes: service duration.
    ///   - serviceMinutesByLevel: service duration by level of the first required skill.
    ///   - timeWindows: windows on the start of service.
    ///   - requiredSkills: skills required.
    ///   - downtimeWeight: cost per minute until completion.
    ///   - releaseTime: earliest start for any technician.
    ///   - releaseTimeByTechnician: earliest start per technician.
    ///   - dueTime: SLA completion time.
    ///   - latenessCostPerMinute: cost per minute past `dueTime`.
    ///   - unassignedPenalty: cost when unassigned.
    ///   - demand: capacity used.
    public init(
        id: ID, node: Int, serviceMinutes: Double, serviceMinutesByLevel: [Int: Double] = [:],
        timeWindows: [TimeWindow], requiredSkills: [SkillRequirement] = [], downtimeWeight: Double,
        releaseTime: Double = -.infinity, releaseTimeByTechnician: [Technician.ID: Double] = [:],
        dueTime: Double? = nil, latenessCostPerMinute: Double = 0, unassignedPenalty: Double, demand: Double = 0
    ) {
        self.id = id
        self.node = node
        self.serviceMinutes = serviceMinutes
        self.serviceMinutesByLevel = serviceMinutesByLevel
        self.timeWindows = timeWindows
        self.requiredSkills = requiredSkills
        self.downtimeWeight = downtimeWeight
        self.releaseTime = releaseTime
        self.releaseTimeByTechnician = releaseTimeByTechnician
        self.dueTime = dueTime
        self.latenessCostPerMinute = latenessCostPerMinute
        self.unassignedPenalty = unassignedPenalty
        self.demand = demand
    }
}

/// A visit a dispatcher locked, or one in progress: it stays with this technician's shift, and pinned visits of a
/// shift keep the order in which they are listed.
public struct PinnedVisit: Hashable, Sendable {
    /// Index of the job in `RoutingProblem.jobs`.
    public var job: Int
    /// Index of the technician in `RoutingProblem.technicians`.
    public var technician: Int
    /// Index of the shift in that technician's `shifts`.
    public var shift: Int

    /// Creates a pin.
    /// - Parameters:
    ///   - job: job index.
    ///   - technician: technician index.
    ///   - shift: shift index of the technician.
    public init(job: Int, technician: Int, shift: Int = 0) {
        self.job = job
        self.technician = technician
        self.shift = shift
    }
}

/// How a plan is priced.
///
/// total = `downtimeFactor` × Σ weight × completion + Σ lateness cost × minutes late + `travelCostPerMinute` × Σ travel
/// time + `travelCostPerDistance` × Σ distance + `fixedCostPerRoute` × routes used + Σ unassigned penalties.
public struct ObjectiveWeights: Hashable, Sendable {
    /// Multiplier of Σ downtime weight × completion time (1 for the downtime objective, 0 for travel only).
    public var downtimeFactor: Double
    /// Cost per minute of travel.
    public var travelCostPerMinute: Double
    /// Cost per distance unit of travel.
    public var travelCostPerDistance: Double
    /// Cost of every route (technician shift) that serves at least one job.
    public var fixedCostPerRoute: Double

    /// Creates weights.
    /// - Parameters:
    ///   - downtimeFactor: multiplier of weighted completion.
    ///   - travelCostPerMinute: cost per travel minute.
    ///   - travelCostPerDistance: cost per distance unit.
    ///   - fixedCostPerRoute: cost per used route.
    public init(downtimeFactor: Double = 1, travelCostPerMinute: Double = 0, travelCostPerDistance: Double = 0, fixedCostPerRoute: Double = 0) {
        self.downtimeFactor = downtimeFactor
        self.travelCostPerMinute = travelCostPerMinute
        self.travelCostPerDistance = travelCostPerDistance
        self.fixedCostPerRoute = fixedCostPerRoute
    }

    /// Weighted downtime only (plus lateness and penalties), the product objective.
    public static let downtime = ObjectiveWeights()

    /// Travel-only comparison mode: Σ distance + `fixedCostPerRoute` per used route + penalties.
    /// - Parameter fixedCostPerRoute: cost per used route.
    /// - Returns: the weights.
    public static func travelOnly(fixedCostPerRoute: Double = 0) -> ObjectiveWeights {
        ObjectiveWeights(downtimeFactor: 0, travelCostPerDistance: 1, fixedCostPerRoute: fixedCostPerRoute)
    }
}

/// Why a problem was rejected before solving.
public enum RoutingProblemError: Error, Equatable, Sendable {
    /// A job or technician refers to a node outside the travel matrix.
    case nodeOutOfRange(field: String, node: Int)
    /// A job has no time window, or a window with `earliest > latest`.
    case invalidTimeWindow(job: Job.ID)
    /// A negative service duration, weight, penalty or demand.
    case negativeValue(field: String)
    /// A shift ending before it starts, or a break longer than possible.
    case invalidShift(technician: Technician.ID, shift: Int)
    /// A pinned visit refers to a job, technician or shift that does not exist, or a job pinned twice.
    case invalidPin(job: Int)
    /// Two jobs or two technicians share an identifier.
    case duplicateIdentifier(String)
}

/// Everything the optimiser needs: the fleet, the work, the prices and the travel matrix.
public struct RoutingProblem: Sendable {
    /// Technicians; each shift becomes one route.
    public var technicians: [Technician]
    /// Jobs to plan.
    public var jobs: [Job]
    /// Travel times and distances between nodes.
    public var travel: TravelMatrix
    /// Objective weights.
    public var objective: ObjectiveWeights
    /// Visits that must stay with their technician's shift.
    public var pinnedVisits: [PinnedVisit]

    /// Creates a problem.
    /// - Parameters:
    ///   - technicians: fleet.
    ///   - jobs: work.
    ///   - travel: travel matrix covering every node used.
    ///   - objective: prices.
    ///   - pinnedVisits: locked visits.
    public init(technicians: [Technician], jobs: [Job], travel: TravelMatrix, objective: ObjectiveWeights = .downtime, pinnedVisits: [PinnedVisit] = []) {
        self.technicians = technicians
        self.jobs = jobs
        self.travel = travel
        self.objective = objective
        self.pinnedVisits = pinnedVisits
    }

    /// Checks references and signs.
    /// - Throws: `RoutingProblemError` naming the first offending field.
    public func validate() throws(RoutingProblemError) {
        var jobIDs = Set<Job.ID>()
        for (index, job) in jobs.enumerated() {
            guard jobIDs.insert(job.id).inserted else { throw .duplicateIdentifier(job.id.rawValue) }
            guard job.node >= 0, job.node < travel.nodeCount else { throw .nodeOutOfRange(field: "jobs[\(index)].node", node: job.node) }
            guard !job.timeWindows.isEmpty, job.timeWindows.allSatisfy({ $0.earliest <= $0.latest }) else { throw .invalidTimeWindow(job: job.id) }
            if job.serviceMinutes < 0 || job.serviceMinutesByLevel.values.contains(where: { $0 < 0 }) { throw .negativeValue(field: "jobs[\(index)].service") }
            if job.downtimeWeight < 0 { throw .negativeValue(field: "jobs[\(index)].weight") }
            if job.unassignedPenalty < 0 { throw .negativeValue(field: "jobs[\(index)].penalty") }
            if job.latenessCostPerMinute < 0 { throw .negativeValue(field: "jobs[\(index)].latenessCostPerMinute") }
            if job.demand < 0 { throw .negativeValue(field: "jobs[\(index)].demand") }
        }
        var technicianIDs = Set<Technician.ID>()
        for (index, technician) in technicians.enumerated() {
            guard technicianIDs.insert(technician.id).inserted else { throw .duplicateIdentifier(technician.id.rawValue) }
            for (field, node) in [("startNode", technician.startNode), ("endNode", technician.endNode)] where node < 0 || node >= travel.nodeCount {
                throw .nodeOutOfRange(field: "technicians[\(index)].\(field)", node: node)
            }
            for (shiftIndex, shift) in technician.shifts.enumerated() {
                guard shift.start <= shift.end else { throw .invalidShift(technician: technician.id, shift: shiftIndex) }
                if let rule = shift.breakRule, rule.minutes < 0 || rule.window.earliest > rule.window.latest {
                    throw .invalidShift(technician: technician.id, shift: shiftIndex)
                }
            }
        }
        var pinnedJobs = Set<Int>()
        for pin in pinnedVisits {
            guard pin.job >= 0, pin.job < jobs.count, pinnedJobs.insert(pin.job).inserted,
                  pin.technician >= 0, pin.technician < technicians.count,
                  pin.shift >= 0, pin.shift < technicians[pin.technician].shifts.count
            else { throw .invalidPin(job: pin.job) }
        }
    }
}
