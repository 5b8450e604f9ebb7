import FoundationEssentials

/// A computed plan as the dispatcher reviews it: routes with ETAs, KPIs next to the current plan's and a naive
/// dispatch's, and why each request is where it is. Stored with the run (JSON, snake_case keys).
public struct PlanReview: Codable, Sendable {
    /// The travel model used.
    public var travelModel: String
    /// Start of the planned period (the run's "now").
    public var horizonStart: Date
    /// End of the planned period.
    public var horizonEnd: Date
    /// The optimiser's objective (downtime, lateness and travel cost; penalties of requests left out).
    public var objective: Double
    /// This plan's figures.
    public var kpis: PlanKPIs
    /// The same figures for the visits booked now.
    public var currentPlan: PlanKPIs
    /// The same figures for a naive dispatch: each call in arrival order to the qualified technician free first.
    public var naiveDispatch: PlanKPIs
    /// For a what-if run: the figures of the same run without the changes.
    public var baseline: PlanKPIs?
    /// One route per technician shift with work.
    public var routes: [RouteReview]
    /// Requests left out, with why.
    public var unassigned: [UnassignedReview]
}

/// The figures of a plan over the horizon.
public struct PlanKPIs: Codable, Sendable, Equatable {
    /// Σ downtime cost per hour × hours from the outage to the restore (to the end of the horizon when not planned).
    public var downtimeCost: Double
    /// Requests restored after their restore SLA's due time, or not restored before it within the horizon.
    public var slaBreaches: Int
    /// Requests restored less than 30 minutes before the due time.
    public var slaAtRisk: Int
    /// Minutes driving, including the drive home.
    public var travelMinutes: Double
    /// Kilometres driven.
    public var travelKm: Double
    /// Minutes worked past the end of shifts.
    public var overtimeMinutes: Double
    /// Requests with a visit in the horizon.
    public var assigned: Int
    /// Requests without.
    public var unassigned: Int
}

/// A technician's shift in a plan.
public struct RouteReview: Codable, Sendable {
    /// Technician id (negative for a what-if extra technician).
    public var technicianId: Int
    /// Employee code.
    public var technicianCode: String
    /// Name.
    public var technicianName: String
    /// Shift start and end.
    public var shiftStart: Date
    /// Shift end.
    public var shiftEnd: Date
    /// The visits in order.
    public var visits: [VisitReview]
    /// Minutes driving, including home.
    public var travelMinutes: Double
    /// Minutes past the shift's end.
    public var overtimeMinutes: Double
}

/// One visit of a plan.
public struct VisitReview: Codable, Sendable {
    /// The request.
    public var requestId: Int
    /// The booked visit it moves, if any.
    public var visitId: Int?
    /// P1 to P4.
    public var priority: String
    /// Unit, model, symptom.
    public var summary: String
    /// When the technician arrives.
    public var arrival: Date
    /// When the repair starts (after waiting for access hours or parts).
    public var start: Date
    /// When the unit is expected to work again.
    public var end: Date
    /// Minutes driving to it.
    public var travelMinutes: Double
    /// Downtime cost from the outage to `end`.
    public var downtimeCost: Double
    /// none (no SLA), on_time, at_risk or breached.
    public var sla: String
    /// The restore SLA's due time.
    public var restoreDue: Date?
    /// new, moved (other time), reassigned (other technician), unchanged, kept (in progress or locked).
    public var change: String
    /// Parts to bring, and where from.
    public var bringParts: [PartAdvice]
    /// Why this technician: the solver's comparison with the best alternative.
    public var why: String
}

/// A part the technician should bring.
public struct PartAdvice: Codable, Sendable, Hashable {
    /// Part id.
    public var partId: Int
    /// Part number.
    public var partNumber: String
    /// Description.
    public var description: String
    /// "required" or "used on 60 % of past visits of this model and problem".
    public var why: String
    /// "in the van", "pick up at depot D01", "RMA 12 to the site, ETA …", or "not in stock".
    public var source: String
}

/// A request the plan leaves out.
public struct UnassignedReview: Codable, Sendable {
    /// The request.
    public var requestId: Int
    /// P1 to P4.
    public var priority: String
    /// Unit, model, symptom.
    public var summary: String
    /// Why, as computed by the solver.
    public var reason: String
}

/// What applying a plan writes, with the versions it was computed from.
public struct PlanChanges: Codable, Sendable, Equatable {
    /// Visits to create or move.
    public var bookings: [Booking]
    /// Booked visits the plan drops.
    public var cancellations: [Cancellation]

    /// A visit to create (no `visitId`) or to move.
    public struct Booking: Codable, Sendable, Equatable {
        public var requestId: Int
        public var requestVersion: Int
        public var visitId: Int?
        public var visitVersion: Int?
        public var technicianId: Int
        public var plannedStart: Date
        public var plannedMinutes: Int
        public var bringParts: [PartAdvice]
    }

    /// A booked visit to cancel.
    public struct Cancellation: Codable, Sendable, Equatable {
        public var requestId: Int
        public var requestVersion: Int
        public var visitId: Int
        public var visitVersion: Int
    }
}
