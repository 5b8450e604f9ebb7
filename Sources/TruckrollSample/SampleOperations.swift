import Foundation
import TruckrollDomain

/// Writes calls, visits, parts used and RMAs the way the API does: each status change updates the row (and its
/// version) and appends the same `event` row that `TransitionStore` and its effects would, with the same kind,
/// statuses and data, by the user who would have made it.
struct SampleOperations {
    var rows: SampleRows
    let clock: SampleClock
    var random: SplitMix64

    /// The last corrective call restored on each unit: what makes a new call a callback.
    var lastRestored: [Int: (requestID: Int, at: Date)] = [:]
    /// Until when each unit has a call open (no second call meanwhile).
    var busyUntil: [Int: Date] = [:]
    /// Technician days already planned: the end of the last visit and where it was.
    var agenda: [Int: SampleSlot] = [:]
    /// Parts in each van, keyed by `vehicle * parts + part`: fitted parts are taken, restocked overnight.
    var vanStock: [Int: Int] = [:]
    /// What each van is restocked to every night (its stock rows).
    let vanShelf: [Int: Int]
    /// Candidate technicians per town and category.
    let candidates: [[[Int]]]
    /// All technicians of each category, when a town has none.
    let everyone: [[Int]]
    /// The vendor contract backing each model, if any.
    let vendorContractOfModel: [Int?]

    /// Ids of the users who act, in the order `SampleGenerator.makeUsers` writes them (technicians' users follow).
    static let helpDesk = 2, dispatcher = 3, vendorCoordinator = 5

    init(rows: SampleRows, clock: SampleClock, seed: SplitMix64) {
        self.rows = rows
        self.clock = clock
        random = seed
        let categories = SampleCatalogue.categories
        let townCount = (rows.technicians.map(\.town).max() ?? 0) + 1
        var candidates = [[[Int]]](repeating: [[Int]](repeating: [], count: categories.count), count: max(townCount, 12))
        var everyone = [[Int]](repeating: [], count: categories.count)
        for (index, technician) in rows.technicians.enumerated() {
            for category in categories.indices where technician.levels[category] > 0 {
                candidates[technician.town][category].append(index + 1)
                everyone[category].append(index + 1)
            }
        }
        self.candidates = candidates
        self.everyone = everyone
        vendorContractOfModel = SampleCatalogue.models.indices.map { model in
            rows.vendorContracts.firstIndex { $0.modelIDs.contains(model + 1) }.map { $0 + 1 }
        }
        var shelf: [Int: Int] = [:]
        for item in rows.stock {
            if let vehicle = item.vehicleID { shelf[vehicle * rows.parts.count + item.partID] = item.quantity }
        }
        vanShelf = shelf
        vanStock = shelf
    }

    /// The user acting for a technician.
    func user(ofTechnician technicianID: Int) -> Int { Self.vendorCoordinator + technicianID }

    // MARK: events

    mutating func event(
        _ entity: String, _ id: Int, _ kind: String, at: Date, by actor: Int, from: String? = nil, to: String? = nil,
        reason: String? = nil, data: String? = nil
    ) {
        rows.events.append(SampleRecord.Event(at: at, actorUserID: actor, entity: entity, entityID: id, kind: kind,
                                              from: from, to: to, reason: reason, data: data))
    }

    // MARK: service requests

    /// Logs a call as `POST /v1/service-requests` does: site, customer, department and contract from the unit, the
    /// priority from the rules, the callback link, and a `created` event.
    mutating func openRequest(
        unitID: Int, reportedAt: Date, loggedAt: Date, channel: String, callType: String, problem: SampleCatalogue.Problem?
    ) -> Int {
        let unit = rows.units[unitID - 1]
        let site = rows.sites[unit.siteID - 1]
        let model = SampleCatalogue.models[unit.model]
        let preventive = callType == "preventive"
        let unitDown = !preventive && (problem?.unitDown ?? true)
        let priority = ServiceRequestRules.priority(criticality: unit.criticality, unitDown: unitDown,
                                                    hasContract: unit.contractID != nil, callType: callType)
        var callbackOf: Int?
        if callType == "corrective", let last = lastRestored[unitID], last.at <= reportedAt,
           last.at > reportedAt.addingTimeInterval(-Double(model.callbackDays) * 86_400) {
            callbackOf = last.requestID
        }
        rows.requests.append(SampleRecord.ServiceRequest(
            createdAt: loggedAt, updatedAt: loggedAt, unitID: unitID, siteID: unit.siteID, customerID: site.customerID,
            departmentID: unit.departmentID, contractID: unit.contractID, reportedAt: reportedAt, channel: channel,
            callType: callType, symptom: preventive ? "Preventive maintenance due" : (problem?.symptom ?? "Out of order"),
            problemCode: preventive ? "PM" : problem?.code, unitDown: unitDown, priority: priority,
            callbackOfID: callbackOf,
            caller: SampleJSON.object([("name", .string(SampleGeography.personName(using: &random)))])))
        let id = rows.requests.count
        event("service_request", id, "created", at: loggedAt, by: Self.helpDesk, to: "new",
              data: SampleJSON.object([("priority", .string(priority))]))
        busyUntil[unitID] = .distantFuture
        return id
    }

    /// Changes a call's status as `RequestEffects.apply` does, and logs it: `status_changed` with the request's
    /// fields as data, or the `kind` of the effect that moved it.
    mutating func moveRequest(
        _ id: Int, to target: String, at: Date, by actor: Int, kind: String = "status_changed", holdCode: String? = nil,
        resolution: (code: String, notes: String)? = nil, reason: String? = nil
    ) {
        var request = rows.requests[id - 1]
        let from = request.status
        request.status = target
        request.holdCode = target == "on_hold" ? holdCode : nil
        if target == "resolved" || target == "resolved_remotely", let resolution {
            request.resolutionCode = resolution.code
            request.resolutionNotes = resolution.notes
            request.restoredAt = request.restoredAt ?? at
            if request.callType == "corrective" { lastRestored[request.unitID] = (id, request.restoredAt!) }
            busyUntil[request.unitID] = request.restoredAt
        }
        if target == "closed" { request.closedAt = at }
        request.version += 1
        request.updatedAt = at
        rows.requests[id - 1] = request
        var members: [(String, SampleJSON.Value)] = []
        if let holdCode { members.append(("hold_code", .string(holdCode))) }
        if kind == "status_changed", let resolution {
            members += [("resolution_code", .string(resolution.code)), ("resolution_notes", .string(resolution.notes))]
        }
        let data: String? = kind == "status_changed" || holdCode != nil ? SampleJSON.object(members) : nil
        event("service_request", id, kind, at: at, by: actor, from: from, to: target, reason: reason, data: data)
    }

    // MARK: visits

    /// Books a visit as `POST /v1/visits` does: a `created` event, and the call moves to scheduled.
    mutating func bookVisit(requestID: Int, technicianID: Int, start: Date, minutes: Int, at: Date) -> Int {
        rows.visits.append(SampleRecord.Visit(createdAt: at, updatedAt: at, serviceRequestID: requestID, technicianID: technicianID,
                                              plannedStart: start, plannedMinutes: minutes))
        let id = rows.visits.count
        event("visit", id, "created", at: at, by: Self.dispatcher, to: "planned",
              data: SampleJSON.object([("technician_id", .int(technicianID)), ("planned_start", .string(Timestamp.format(start)))]))
        if ["dispatch_needed", "on_hold"].contains(rows.requests[requestID - 1].status) {
            moveRequest(requestID, to: "scheduled", at: at, by: Self.dispatcher, kind: "visit_booked")
        }
        return id
    }

    /// How a visit ends: the transition request of `completed` or `incomplete`.
    struct VisitEnd {
        /// `fixed`, `no_fault_found` or `incomplete`.
        var outcome: String
        var notes: String
        var incompleteCode: String? = nil
        var meterPages: Int? = nil
    }

    /// Moves a visit along its life cycle as `VisitEffects.apply` does, with the call's effect logged first (the
    /// effect runs before the transition's own event).
    mutating func moveVisit(_ id: Int, to target: String, at: Date, by actor: Int, end: VisitEnd? = nil) {
        var visit = rows.visits[id - 1]
        let from = visit.status
        let requestID = visit.serviceRequestID
        visit.status = target
        visit.version += 1
        visit.updatedAt = at
        switch target {
        case "dispatched": visit.dispatchedAt = at
        case "en_route": visit.enRouteAt = at
        case "on_site":
            visit.arrivedAt = at
            if rows.requests[requestID - 1].firstOnSiteAt == nil {
                rows.requests[requestID - 1].firstOnSiteAt = at
                rows.requests[requestID - 1].version += 1
            }
            if ["scheduled", "dispatch_needed", "on_hold"].contains(rows.requests[requestID - 1].status) {
                moveRequest(requestID, to: "in_progress", at: at, by: actor, kind: "technician_on_site")
            }
        default: break
        }
        var data: [(String, SampleJSON.Value)] = []
        if let end {
            visit.outcome = end.outcome
            visit.incompleteCode = end.incompleteCode
            visit.departedAt = at
            visit.workNotes = end.notes
            visit.meterPages = end.meterPages
            data = end.incompleteCode.map { [("incomplete_code", .string($0))] } ?? [("outcome", .string(end.outcome))]
            data.append(("work_notes", .string(end.notes)))
            if let pages = end.meterPages {
                data.append(("meter_pages", .int(pages)))
                rows.meterReadings.append(SampleRecord.MeterReading(
                    unitID: rows.requests[requestID - 1].unitID, readAt: at, pages: pages, source: "technician"))
            }
            let status = rows.requests[requestID - 1].status
            if let code = end.incompleteCode {
                if ["in_progress", "scheduled"].contains(status) {
                    let hold: String? = switch code {
                    case "needs_part": "waiting_for_parts"
                    case "customer_unavailable": "waiting_for_customer"
                    default: nil
                    }
                    moveRequest(requestID, to: hold == nil ? "dispatch_needed" : "on_hold", at: at, by: actor, kind: "visit_incomplete",
                                holdCode: hold)
                }
            } else if ["in_progress", "on_hold", "scheduled"].contains(status) {
                let resolution = end.outcome == "no_fault_found" ? "no_fault_found" : "fixed_on_site"
                moveRequest(requestID, to: "resolved", at: at, by: actor, kind: "visit_completed", resolution: (resolution, end.notes))
            }
        }
        rows.visits[id - 1] = visit
        event("visit", id, "status_changed", at: at, by: actor, from: from, to: target, data: SampleJSON.object(data))
    }

    /// Records a part fitted from the technician's van, as `FieldWorkStore.usePart` does.
    mutating func usePart(visitID: Int, partID: Int, at: Date) {
        let technicianID = rows.visits[visitID - 1].technicianID
        let key = technicianID * rows.parts.count + partID
        let left = max(0, (vanStock[key] ?? 1) - 1)
        vanStock[key] = left == 0 ? nil : left
        rows.visits[visitID - 1].version += 1
        rows.visitParts.append(SampleRecord.VisitPart(visitID: visitID, partID: partID, quantity: 1, vehicleID: technicianID,
                                                      unitCost: rows.parts[partID - 1].unitCost, usedAt: at))
        event("visit", visitID, "part_used", at: at, by: user(ofTechnician: technicianID),
              data: SampleJSON.object([("part_id", .int(partID)), ("quantity", .int(1)), ("vehicle_id", .int(technicianID)),
                                       ("left_in_van", .int(left))]))
    }

    /// Whether a technician's van holds a part now.
    func vanHolds(technicianID: Int, partID: Int) -> Bool {
        (vanStock[technicianID * rows.parts.count + partID] ?? 0) > 0
    }

    // MARK: RMAs

    /// Opens an RMA as `POST /v1/rmas` does (a `created` event by the dispatcher).
    mutating func openRMA(requestID: Int, partID: Int, at: Date, eta: Date?) -> Int {
        let unit = rows.units[rows.requests[requestID - 1].unitID - 1]
        let contractID = vendorContractOfModel[unit.model]!
        let contract = rows.vendorContracts[contractID - 1]
        let part = rows.parts[partID - 1]
        let kind = contract.supportLevel == "advance_exchange" ? "advance_exchange"
            : part.customerReplaceable ? "customer_replaceable" : "field_replaceable"
        rows.rmas.append(SampleRecord.RMA(
            createdAt: at, updatedAt: at, vendorID: contract.vendorID, vendorContractID: contractID, unitID: rows.requests[requestID - 1].unitID,
            serviceRequestID: requestID, vendorCaseNumber: "CASE-\(SampleGenerator.padded(random.int(100_000...999_999), width: 6))",
            failedPartID: partID, replacementPartID: partID, kind: kind, eta: eta))
        let id = rows.rmas.count
        event("rma", id, "created", at: at, by: Self.dispatcher, to: "requested")
        return id
    }

    /// Moves an RMA as `RMAEffects.apply` does; `data` members are the transition request's fields.
    mutating func moveRMA(_ id: Int, to target: String, at: Date, data: [(String, SampleJSON.Value)] = []) {
        var rma = rows.rmas[id - 1]
        let from = rma.status
        rma.status = target
        rma.version += 1
        rma.updatedAt = at
        for (field, value) in data {
            switch (field, value) {
            case ("rma_number", .string(let text)): rma.rmaNumber = text
            case ("carrier", .string(let text)): rma.carrier = text
            case ("tracking_number", .string(let text)): rma.trackingNumber = text
            case ("eta", .string(let text)): rma.eta = Timestamp.parse(text)
            case ("destination", .string(let text)): rma.destination = text
            case ("destination_depot_id", .int(let number)): rma.destinationDepotID = number
            case ("destination_vehicle_id", .int(let number)): rma.destinationVehicleID = number
            default: break
            }
        }
        if target == "delivered" { rma.deliveredAt = at }
        if target == "defective_returned" { rma.defectiveReturnedAt = at }
        rows.rmas[id - 1] = rma
        let actor = rma.vendorID == 1 ? Self.vendorCoordinator : Self.dispatcher
        event("rma", id, "status_changed", at: at, by: actor, from: from, to: target, data: SampleJSON.object(data))
    }
}
