/// The operational resources: calls, visits, RMAs and device alerts. Their status fields are read-only here and
/// change only through their ``Lifecycle``s (`POST /v1/<resource>/{id}/transitions`).
extension Registry {
    static let serviceRequests = Resource(
        name: "service-requests", singular: "service request",
        fields: [
            Field("unit_id", .reference(to: "units"), "The unit that is down (or give site_id when it is not known)."),
            Field("site_id", .reference(to: "sites"), "The site; taken from the unit when one is given."),
            Field("customer_id", .reference(to: "customers"), access: .readOnly, "The site's customer."),
            Field("department_id", .reference(to: "departments"), "The department calling; default: the unit's."),
            Field("contract_id", .reference(to: "contracts"), access: .readOnly, "The contract covering the unit when it went down; null: billable."),
            Field("reported_at", .timestamp, "When the outage began; default: now."),
            Field("channel", .choice(["phone", "email", "portal", "device_alert"]), required: true, "How the call came in."),
            Field("call_type", .choice(["corrective", "preventive", "install", "move", "courtesy", "depot_repair", "supplies",
                                        "remote_support", "other"]), required: true, "Kind of call."),
            Field("symptom", .text(maxLength: 2000), required: true, "What the caller describes."),
            Field("problem_code", .code, "Problem code, once known."),
            Field("unit_down", .boolean, "Whether the unit is unusable (default true)."),
            Field("priority", .choice(["P1", "P2", "P3", "P4"]), "Derived from criticality, contract and symptom; set it to override, with a reason."),
            Field("priority_override_reason", .text(maxLength: 500), "Why the priority was overridden."),
            Field("caller", contact, "Who called."),
            Field("status", .choice(Lifecycle.serviceRequest.statuses), access: .readOnly, "Where the call is in its life cycle."),
            Field("hold_code", .choice(ServiceRequestRules.holdCodes), access: .readOnly, "Why it is on hold."),
            Field("callback_of_id", .reference(to: "service-requests"), access: .readOnly, "The earlier call this one is a callback of."),
            Field("resolution_code", .code, access: .readOnly, "How it was resolved."),
            Field("resolution_notes", .text(maxLength: 4000), access: .readOnly, "What was done."),
            Field("first_on_site_at", .timestamp, access: .readOnly, "When a technician first arrived."),
            Field("restored_at", .timestamp, access: .readOnly, "When the unit worked again."),
            Field("closed_at", .timestamp, access: .readOnly, "When the call was closed."),
            Field("alert_code", .code, access: .readOnly, "The device alert that opened it."),
            Field("serial_number", .code, access: .readOnly, "The unit's serial number."),
            Field("equipment_model_id", .reference(to: "equipment-models"), access: .readOnly, "The unit's model."),
            Field("site_name", .text(maxLength: 200), access: .readOnly, "The site's name."),
            Field("site_address", .text(maxLength: 500), access: .readOnly, "The site's address."),
            Field("site_time_zone", .timeZone, access: .readOnly, "The site's time zone."),
            Field("downtime_cost_per_hour", money, access: .readOnly, "What an hour down costs: the unit's override, else the contract's."),
            Field("clocks", .object([]), access: .readOnly,
                  "Computed when read: downtime_minutes, paused_minutes, response and restore SLA clocks (due, remaining_minutes, "
                  + "breached, at_risk; null without a contract), vendor commitments of open RMAs, and warnings."),
        ],
        filters: [("status", "status"), ("priority", "priority"), ("unit", "unit_id"), ("site", "site_id"), ("customer", "customer_id"),
                  ("department", "department_id"), ("call_type", "call_type")],
        access: Access(read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all, .technician: .own],
                       write: [.admin: .all, .supportAgent: .all, .dispatcher: .all]),
        deletable: false, lifecycle: .serviceRequest,
        rules: [{ record in
            let hasUnit = record["unit_id"] != nil && record["unit_id"] != .null
            let hasSite = record["site_id"] != nil && record["site_id"] != .null
            return hasUnit || hasSite ? [] : [FieldError(field: "unit_id", message: "give the unit, or the site when the unit is not known")]
        }],
        changeRules: [{ change in
            guard let priority = change["priority"], priority != .null,
                  change["priority_override_reason"] == nil || change["priority_override_reason"] == .null
            else { return [] }
            return [FieldError(field: "priority_override_reason", message: "is required to set the priority by hand")]
        }]
    )

    static let visits = Resource(
        name: "visits", singular: "visit",
        fields: [
            Field("service_request_id", .reference(to: "service-requests"), required: true, "The call it works on."),
            Field("technician_id", .reference(to: "technicians"), required: true, "Who goes."),
            Field("planned_start", .timestamp, required: true, "When the technician is due on site."),
            Field("planned_minutes", .integer(5...1440), required: true, "Planned time on site."),
            Field("planned_end", .timestamp, access: .readOnly, "planned_start + planned_minutes."),
            Field("work_notes", .text(maxLength: 4000), "What was done, for the next technician."),
            Field("locked", .boolean, "Locked by a dispatcher: planning keeps it with this technician at this time."),
            Field("bring_parts", .list(of: .object([]), maxCount: 100), access: .readOnly,
                  "Parts the planner expects the visit to need: part_number, why (required or how often used) and source (van, depot, RMA)."),
            Field("status", .choice(Lifecycle.visit.statuses), access: .readOnly, "Where the visit is in its life cycle."),
            Field("dispatched_at", .timestamp, access: .readOnly, "Sent to the technician."),
            Field("en_route_at", .timestamp, access: .readOnly, "Technician on the way."),
            Field("arrived_at", .timestamp, access: .readOnly, "Technician on site."),
            Field("departed_at", .timestamp, access: .readOnly, "Technician left."),
            Field("outcome", .choice(["fixed", "incomplete", "no_fault_found"]), access: .readOnly, "How it ended."),
            Field("incomplete_code", .choice(["needs_part", "needs_second_technician", "customer_unavailable"]), access: .readOnly,
                  "Why it could not be finished."),
            Field("meter_pages", .integer(0...1_000_000_000_000), access: .readOnly, "Meter reading taken on site."),
            Field("unit_id", .reference(to: "units"), access: .readOnly, "The unit."),
            Field("site_id", .reference(to: "sites"), access: .readOnly, "The site."),
            Field("symptom", .text(maxLength: 2000), access: .readOnly, "The call's symptom."),
            Field("priority", .choice(["P1", "P2", "P3", "P4"]), access: .readOnly, "The call's priority."),
            Field("site_address", .text(maxLength: 500), access: .readOnly, "Where to go."),
            Field("latitude", latitude, access: .readOnly, "Site latitude."),
            Field("longitude", longitude, access: .readOnly, "Site longitude."),
            Field("serial_number", .code, access: .readOnly, "The unit's serial number."),
            Field("manufacturer", .text(maxLength: 100), access: .readOnly, "The unit's manufacturer."),
            Field("model_name", .text(maxLength: 200), access: .readOnly, "The unit's model."),
        ],
        filters: [("technician", "technician_id"), ("service_request", "service_request_id"), ("status", "status")],
        access: Access(read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all, .technician: .own],
                       write: [.admin: .all, .dispatcher: .all]),
        deletable: false, lifecycle: .visit, transitionAccess: [.admin: .all, .dispatcher: .all, .technician: .own]
    )

    static let rmas = Resource(
        name: "rmas", singular: "RMA",
        fields: [
            Field("vendor_id", .reference(to: "vendors"), required: true, "The vendor."),
            Field("vendor_contract_id", .reference(to: "vendor-contracts"), "The vendor contract it is under."),
            Field("unit_id", .reference(to: "units"), required: true, "The unit."),
            Field("service_request_id", .reference(to: "service-requests"), "The call that needs it."),
            Field("vendor_case_number", .code, "The vendor's case number."),
            Field("rma_number", .code, "The vendor's RMA number."),
            Field("failed_part_id", .reference(to: "parts"), "The failed part."),
            Field("replacement_part_id", .reference(to: "parts"), "The replacement requested."),
            Field("kind", .choice(["customer_replaceable", "field_replaceable", "advance_exchange"]), required: true,
                  "CRU shipped to site, FRU fitted by us, or advance exchange."),
            Field("carrier", .text(maxLength: 100), "Carrier of the replacement."),
            Field("tracking_number", .text(maxLength: 100), "Carrier's tracking number."),
            Field("eta", .timestamp, "When the replacement arrives: planning waits for it."),
            Field("defective_due_on", .date, "Last day to return the defective part (advance exchange)."),
            Field("notes", .text(maxLength: 4000), "Notes."),
            Field("status", .choice(Lifecycle.rma.statuses), access: .readOnly, "Where the RMA is."),
            Field("destination", .choice(["site", "depot", "vehicle"]), access: .readOnly, "Where the part was delivered."),
            Field("destination_depot_id", .reference(to: "depots"), access: .readOnly, "Depot it was delivered to."),
            Field("destination_vehicle_id", .reference(to: "vehicles"), access: .readOnly, "Van it was delivered to."),
            Field("delivered_at", .timestamp, access: .readOnly, "When it was delivered."),
            Field("defective_returned_at", .timestamp, access: .readOnly, "When the defective part went back."),
            Field("rejection_reason", .text(maxLength: 2000), access: .readOnly, "Why the vendor refused."),
            Field("defective_overdue", .boolean, access: .readOnly, "The defective part is late going back (the vendor will charge)."),
        ],
        filters: [("vendor", "vendor_id"), ("status", "status"), ("unit", "unit_id"), ("service_request", "service_request_id")],
        access: Access(read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all, .vendorCoordinator: .own],
                       write: [.admin: .all, .dispatcher: .all, .vendorCoordinator: .own]),
        deletable: false, lifecycle: .rma
    )

    static let partRequests = Resource(
        name: "part-requests", singular: "part request",
        fields: [
            Field("part_id", .reference(to: "parts"), required: true, "The part."),
            Field("quantity", .integer(1...100_000), required: true, "How many."),
            Field("from_depot_id", .reference(to: "depots"), "Where from: a depot (or a van)."),
            Field("from_vehicle_id", .reference(to: "vehicles"), "Where from: another van (or a depot)."),
            Field("to_vehicle_id", .reference(to: "vehicles"), required: true, "The van that needs it."),
            Field("visit_id", .reference(to: "visits"), "The visit it is for."),
            Field("needed_by", .timestamp, "When it must be in the van."),
            Field("notes", .text(maxLength: 2000), "Notes for the depot."),
            Field("status", .choice(Lifecycle.partRequest.statuses), access: .readOnly, "requested, ready, fulfilled or cancelled."),
            Field("fulfilled_at", .timestamp, access: .readOnly, "When the parts moved."),
            Field("part_number", .code, access: .readOnly, "The part's number."),
            Field("part_description", .text(maxLength: 500), access: .readOnly, "The part's description."),
        ],
        filters: [("status", "status"), ("to_vehicle", "to_vehicle_id"), ("from_depot", "from_depot_id"), ("visit", "visit_id")],
        access: Access(read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all, .technician: .own],
                       write: [.admin: .all, .dispatcher: .all, .technician: .own]),
        deletable: false, lifecycle: .partRequest,
        rules: [{ record in
            let sources = [record["from_depot_id"], record["from_vehicle_id"]].filter { $0 != nil && $0 != .null }.count
            return sources == 1 ? [] : [FieldError(field: "from_depot_id", message: "give exactly one of from_depot_id and from_vehicle_id")]
        }]
    )

    static let deviceAlerts = Resource(
        name: "device-alerts", singular: "device alert",
        fields: [
            Field("source", .code, required: true, "The monitoring tool sending it."),
            Field("serial_number", .code, required: true, "The unit's serial number."),
            Field("alert_code", .code, required: true, "The alert code."),
            Field("severity", .choice(["info", "warning", "critical", "cleared"]), required: true, "cleared ends the alert."),
            Field("occurred_at", .timestamp, required: true, "When the device raised it."),
            Field("received_at", .timestamp, access: .readOnly, "When Truckroll received it."),
            Field("unit_id", .reference(to: "units"), access: .readOnly, "The unit matched by serial number."),
            Field("service_request_id", .reference(to: "service-requests"), access: .readOnly, "The request it opened or joined."),
            Field("outcome", .choice(["opened", "attached", "cleared", "recorded", "unknown_unit"]), access: .readOnly,
                  "What Truckroll did with it."),
        ],
        filters: [("unit", "unit_id"), ("outcome", "outcome"), ("serial_number", "serial_number")],
        access: Access(read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all],
                       write: [.admin: .all, .supportAgent: .all, .dispatcher: .all]),
        deletable: false, updatable: false
    )
}
