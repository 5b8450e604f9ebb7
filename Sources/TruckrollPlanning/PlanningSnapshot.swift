import FoundationEssentials

/// Everything a planning run reads from the live system, at one instant: who can work when, what needs doing,
/// what is already booked, and where parts are.
public struct PlanningSnapshot: Sendable {
    /// The instant the snapshot was taken; nothing is planned before it.
    public var now: Date
    /// The period planned.
    public var horizon: DateInterval
    /// Technicians available in the horizon (their shifts clipped to it).
    public var technicians: [PlanningTechnician]
    /// Open requests that need a visit.
    public var requests: [PlanningRequest]
    /// Open visits of those requests (planned, dispatched, en route, on site): the current plan.
    public var visits: [OpenVisit]
    /// Depots and their stock.
    public var depots: [PlanningDepot]

    /// Creates a snapshot.
    public init(now: Date, horizon: DateInterval, technicians: [PlanningTechnician], requests: [PlanningRequest],
                visits: [OpenVisit], depots: [PlanningDepot]) {
        self.now = now
        self.horizon = horizon
        self.technicians = technicians
        self.requests = requests
        self.visits = visits
        self.depots = depots
    }
}

/// A technician as the planner sees them.
public struct PlanningTechnician: Sendable {
    /// Technician id (negative for an extra technician of a what-if run).
    public var id: Int
    /// Employee code.
    public var code: String
    /// Full name.
    public var name: String
    /// Where every shift starts and ends.
    public var home: Coordinate
    /// Skill levels by skill name.
    public var skills: [String: Int]
    /// Working periods in the horizon, in order.
    public var shifts: [DateInterval]
    /// Parts in the van: quantity by part id.
    public var vanStock: [Int: Int]

    /// Creates a technician.
    public init(id: Int, code: String, name: String, home: Coordinate, skills: [String: Int], shifts: [DateInterval], vanStock: [Int: Int]) {
        self.id = id
        self.code = code
        self.name = name
        self.home = home
        self.skills = skills
        self.shifts = shifts
        self.vanStock = vanStock
    }
}

/// A part on its way from a vendor (an RMA's replacement part).
public struct InboundPart: Sendable, Hashable {
    /// Where it is delivered.
    public enum Destination: Sendable, Hashable {
        /// To the customer's site.
        case site
        /// To a depot, where a technician picks it up.
        case depot(id: Int)
        /// To the van of this technician.
        case vehicle(technicianID: Int)
    }

    /// The RMA bringing it.
    public var rmaID: Int
    /// When it arrives (already delivered parts have their delivery time).
    public var eta: Date
    /// Where.
    public var destination: Destination

    /// Creates an inbound part.
    public init(rmaID: Int, eta: Date, destination: Destination) {
        self.rmaID = rmaID
        self.eta = eta
        self.destination = destination
    }
}

/// A part a request needs for certain (named on the request or an RMA) or probably (learnt from past visits).
public struct PartNeed: Sendable, Hashable {
    /// Part id.
    public var partID: Int
    /// Part number.
    public var partNumber: String
    /// Description.
    public var description: String
    /// Share of past visits of the same model and problem code that used it; `nil` when the part is required.
    public var likelihood: Double?
    /// Parts on their way for this request.
    public var inbound: [InboundPart]

    /// Creates a need.
    public init(partID: Int, partNumber: String, description: String, likelihood: Double?, inbound: [InboundPart] = []) {
        self.partID = partID
        self.partNumber = partNumber
        self.description = description
        self.likelihood = likelihood
        self.inbound = inbound
    }

    /// Whether the visit cannot succeed without it.
    public var isRequired: Bool { likelihood == nil }
}

/// An open service request that needs a visit.
public struct PlanningRequest: Sendable {
    /// Request id.
    public var id: Int
    /// Row version when read (apply checks it).
    public var version: Int
    /// Current status.
    public var status: String
    /// P1 to P4.
    public var priority: String
    /// When the outage began.
    public var reportedAt: Date
    /// Site id.
    public var siteID: Int
    /// Where the unit is.
    public var location: Coordinate
    /// When the site can be visited, clipped to the horizon; `nil` for any time.
    public var accessHours: [DateInterval]?
    /// Skills needed, with minimum levels.
    public var requiredSkills: [String: Int]
    /// Typical repair time for the model, minutes.
    public var repairMinutes: Int
    /// What an hour down costs (unit override, else contract), in the company's currency.
    public var downtimeCostPerHour: Double
    /// When the restore SLA is due, if under contract.
    public var restoreDue: Date?
    /// Parts it needs or probably needs.
    public var parts: [PartNeed]
    /// One line for people: unit, model and symptom.
    public var summary: String

    /// Creates a request.
    public init(id: Int, version: Int, status: String, priority: String, reportedAt: Date, siteID: Int, location: Coordinate,
                accessHours: [DateInterval]?, requiredSkills: [String: Int], repairMinutes: Int, downtimeCostPerHour: Double,
                restoreDue: Date?, parts: [PartNeed], summary: String) {
        self.id = id
        self.version = version
        self.status = status
        self.priority = priority
        self.reportedAt = reportedAt
        self.siteID = siteID
        self.location = location
        self.accessHours = accessHours
        self.requiredSkills = requiredSkills
        self.repairMinutes = repairMinutes
        self.downtimeCostPerHour = downtimeCostPerHour
        self.restoreDue = restoreDue
        self.parts = parts
        self.summary = summary
    }
}

/// A depot and its shelves.
public struct PlanningDepot: Sendable {
    /// Depot id.
    public var id: Int
    /// Depot code.
    public var code: String
    /// Where it is.
    public var location: Coordinate
    /// Quantity by part id.
    public var stock: [Int: Int]

    /// Creates a depot.
    public init(id: Int, code: String, location: Coordinate, stock: [Int: Int]) {
        self.id = id
        self.code = code
        self.location = location
        self.stock = stock
    }
}

/// A visit already booked for an open request.
public struct OpenVisit: Sendable {
    /// Visit id.
    public var id: Int
    /// Row version when read (apply checks it).
    public var version: Int
    /// The request.
    public var requestID: Int
    /// Who.
    public var technicianID: Int
    /// Booked start.
    public var plannedStart: Date
    /// Booked time on site.
    public var plannedMinutes: Int
    /// planned, dispatched, en_route or on_site.
    public var status: String
    /// Locked by a dispatcher.
    public var locked: Bool

    /// Creates a visit.
    public init(id: Int, version: Int, requestID: Int, technicianID: Int, plannedStart: Date, plannedMinutes: Int, status: String, locked: Bool) {
        self.id = id
        self.version = version
        self.requestID = requestID
        self.technicianID = technicianID
        self.plannedStart = plannedStart
        self.plannedMinutes = plannedMinutes
        self.status = status
        self.locked = locked
    }

    /// When the booked work ends.
    public var plannedEnd: Date { plannedStart.addingTimeInterval(Double(plannedMinutes) * 60) }
    /// On the way or on site: it stays with its technician, first.
    public var isInProgress: Bool { status == "en_route" || status == "on_site" }
}
