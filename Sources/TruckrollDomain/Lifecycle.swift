/// A status field's life cycle: which moves are legal, and what each target status needs.
public struct Lifecycle: Sendable {
    /// What a transition request must carry to reach a status (`hold_code` for `on_hold`, …).
    public struct Requirement: Sendable {
        public let field: String
        public let type: FieldType
        /// Allowed only for some targets (e.g. `outcome` must be `fixed` or `no_fault_found` to complete).
        public let values: [String]?
    }

    /// The status names, in their usual order.
    public let statuses: [String]
    /// Legal next statuses of each status.
    public let next: [String: [String]]
    /// Fields a transition to a status must give.
    public let requirements: [String: [Requirement]]
    /// Fields a transition may give (besides `to` and `reason`).
    public let optionalFields: [Field]

    /// Checks a transition request: the move is legal and carries what its target needs.
    /// - Returns: The problems: a ``LifecycleError/illegal(from:to:allowed:)`` or field errors.
    public func check(from current: String, request: JSONObject) -> Result<String, LifecycleError> {
        guard case .string(let target)? = request["to"] else {
            return .failure(.invalid([FieldError(field: "to", message: "is required: one of \(statuses.joined(separator: ", "))")]))
        }
        guard statuses.contains(target) else {
            return .failure(.invalid([FieldError(field: "to", message: "must be one of \(statuses.joined(separator: ", "))")]))
        }
        let allowed = next[current] ?? []
        guard allowed.contains(target) else { return .failure(.illegal(from: current, to: target, allowed: allowed)) }
        let known = Set(["to", "reason"] + optionalFields.map(\.name) + requirements.values.flatMap { $0.map(\.field) })
        var errors = request.keys.sorted().filter { !known.contains($0) }.map { FieldError(field: $0, message: "is not a field of a transition") }
        for field in optionalFields {
            if let value = request[field.name], value != .null { errors += field.type.problems(with: value, at: field.name) }
        }
        if let reason = request["reason"], reason != .null {
            errors += FieldType.text(maxLength: 2000).problems(with: reason, at: "reason")
        }
        for requirement in requirements[target] ?? [] {
            guard let value = request[requirement.field], value != .null else {
                errors.append(FieldError(field: requirement.field, message: "is required to move to \(target)"))
                continue
            }
            let problems = requirement.type.problems(with: value, at: requirement.field)
            errors += problems
            if problems.isEmpty, let values = requirement.values, let text = value.stringValue, !values.contains(text) {
                errors.append(FieldError(field: requirement.field, message: "must be \(values.joined(separator: " or ")) to move to \(target)"))
            }
        }
        return errors.isEmpty ? .success(target) : .failure(.invalid(errors))
    }
}

/// Why a transition was refused.
public enum LifecycleError: Error, Sendable, Equatable {
    /// The move is not legal from the current status (409, with the legal ones).
    case illegal(from: String, to: String, allowed: [String])
    /// The request lacks or mistypes what the move needs (422).
    case invalid([FieldError])
}

extension Lifecycle {
    private static func required(_ field: String, _ type: FieldType, _ values: [String]? = nil) -> Requirement {
        Requirement(field: field, type: type, values: values)
    }

    static let resolutionCode = FieldType.code
    static let notes = FieldType.text(maxLength: 4000)

    /// A service request: logged, triaged by tier 1, escalated to tier 2, resolved remotely or dispatched,
    /// scheduled, worked on (maybe on hold), resolved, closed.
    public static let serviceRequest = Lifecycle(
        statuses: ["new", "triage", "escalated", "resolved_remotely", "dispatch_needed", "scheduled", "in_progress",
                   "on_hold", "resolved", "closed"],
        next: [
            "new": ["triage", "dispatch_needed"],
            "triage": ["escalated", "resolved_remotely", "dispatch_needed"],
            "escalated": ["resolved_remotely", "dispatch_needed"],
            "resolved_remotely": ["closed", "triage"],
            "dispatch_needed": ["scheduled", "on_hold", "resolved_remotely"],
            "scheduled": ["in_progress", "dispatch_needed", "on_hold"],
            "in_progress": ["on_hold", "resolved", "dispatch_needed"],
            "on_hold": ["dispatch_needed", "scheduled", "in_progress", "resolved"],
            "resolved": ["closed", "dispatch_needed"],
            "closed": [],
        ],
        requirements: [
            "on_hold": [required("hold_code", .choice(ServiceRequestRules.holdCodes))],
            "resolved": [required("resolution_code", resolutionCode), required("resolution_notes", notes)],
            "resolved_remotely": [required("resolution_code", resolutionCode), required("resolution_notes", notes)],
        ],
        optionalFields: []
    )

    /// A visit: planned, dispatched to the technician, en route, on site, then completed or incomplete
    /// (or cancelled before it starts).
    public static let visit = Lifecycle(
        statuses: ["planned", "dispatched", "en_route", "on_site", "completed", "incomplete", "cancelled"],
        next: [
            "planned": ["dispatched", "cancelled"],
            "dispatched": ["en_route", "planned", "cancelled"],
            "en_route": ["on_site", "dispatched", "cancelled"],
            "on_site": ["completed", "incomplete"],
            "completed": [], "incomplete": [], "cancelled": [],
        ],
        requirements: [
            "completed": [required("outcome", .choice(["fixed", "incomplete", "no_fault_found"]), ["fixed", "no_fault_found"]),
                          required("work_notes", notes)],
            "incomplete": [required("incomplete_code", .choice(["needs_part", "needs_second_technician", "customer_unavailable"])),
                           required("work_notes", notes)],
        ],
        optionalFields: [
            Field("meter_pages", .integer(0...1_000_000_000_000), "Meter reading taken on site."),
            Field("resolution_code", resolutionCode, "Resolution code given to the request when the visit fixes it."),
        ]
    )

    /// A vendor RMA: requested, approved (or rejected), shipped, delivered, defective part returned, closed.
    public static let rma = Lifecycle(
        statuses: ["requested", "approved", "shipped", "delivered", "defective_returned", "closed", "rejected"],
        next: [
            "requested": ["approved", "rejected"],
            "approved": ["shipped", "rejected"],
            "shipped": ["delivered"],
            "delivered": ["defective_returned", "closed"],
            "defective_returned": ["closed"],
            "closed": [], "rejected": [],
        ],
        requirements: [
            "shipped": [required("carrier", .text(maxLength: 100)), required("tracking_number", .text(maxLength: 100)),
                        required("eta", .timestamp)],
            "delivered": [required("destination", .choice(["site", "depot", "vehicle"]))],
            "rejected": [required("rejection_reason", .text(maxLength: 2000))],
        ],
        optionalFields: [
            Field("rma_number", .code, "The vendor's RMA number."),
            Field("destination_depot_id", .reference(to: "depots"), "Depot receiving the part."),
            Field("destination_vehicle_id", .reference(to: "vehicles"), "Van receiving the part."),
        ]
    )

    /// A parts request for a van: requested, made ready at the depot, fulfilled when picked up (the stock moves),
    /// or cancelled.
    public static let partRequest = Lifecycle(
        statuses: ["requested", "ready", "fulfilled", "cancelled"],
        next: ["requested": ["ready", "fulfilled", "cancelled"], "ready": ["fulfilled", "cancelled"], "fulfilled": [], "cancelled": []],
        requirements: [:],
        optionalFields: []
    )
}
