import Foundation
import TruckrollDomain

extension SampleOperations {
    /// Where an open call stands now.
    enum OpenState {
        /// Logged minutes ago: new, or in triage.
        case fresh
        case dispatchNeeded
        /// A visit planned (or dispatched) for later today.
        case scheduled
        /// A technician en route or on site.
        case active
        /// A vendor part on its way (RMA approved or shipped): waiting for dispatch, or on hold for parts.
        case waitingForParts
    }

    /// The calls reported during the four hours before `now`, most of them waiting for dispatch.
    mutating func makeOpenCalls(count: Int) {
        guard count > 0, !rows.units.isEmpty else { return }
        let picker = SampleUnitPicker(unitIDs: Array(1...rows.units.count), units: rows.units)
        let fourHoursAgo = clock.now.addingTimeInterval(-4 * 3_600)
        var taken = Set<Int>()
        var calls: [(at: Date, unitID: Int)] = []
        for _ in 0..<count * 20 where calls.count < count {
            let unitID = picker.pick(using: &random)
            guard !taken.contains(unitID), rows.units[unitID - 1].installDay < 0,
                  (busyUntil[unitID] ?? .distantPast) < fourHoursAgo else { continue }
            taken.insert(unitID)
            calls.append((clock.now.addingTimeInterval(-Double(random.int(120...14_400))), unitID))
        }
        calls.sort { $0.at < $1.at }
        let visitDay = clock.isWorkday(0) && clock.minuteOfNow < 16 * 60 ? 0 : nextWorkday(after: 0)
        var states: [OpenState] = calls.map { call in
            let age = clock.now.timeIntervalSince(call.at) / 60
            let draw = random.unit()
            if age < 20 { return .fresh }
            if draw < 0.04, visitDay == 0, age >= 75 { return .active }
            if draw < 0.14 { return .scheduled }
            return .dispatchNeeded
        }
        // About 6.5 % wait on a vendor part: among the calls on units a vendor backs.
        var backed = calls.indices.filter { states[$0] != .fresh && vendorContractOfModel[rows.units[calls[$0].unitID - 1].model] != nil }
        backed.shuffle(using: &random)
        for index in backed.prefix(Int((Double(calls.count) * 0.065).rounded())) { states[index] = .waitingForParts }
        // Technicians already at work are placed first, so that later visits queue behind them.
        for pass in [true, false] {
            for (call, state) in zip(calls, states) where (state == .active) == pass {
                openCall(unitID: call.unitID, reportedAt: call.at, state: state, visitDay: visitDay)
            }
        }
    }

    mutating func openCall(unitID: Int, reportedAt: Date, state: OpenState, visitDay: Int) {
        let unit = rows.units[unitID - 1]
        let model = SampleCatalogue.models[unit.model]
        let now = clock.now
        let preventive = state == .dispatchNeeded && random.chance(0.05)
        let problems = model.category.problems.filter { state != .waitingForParts || $0.partRole != nil }
        let problem = preventive ? nil : random.pick(problems.map { ($0, $0.weight) })
        let age = now.timeIntervalSince(reportedAt)
        let loggedAt = reportedAt.addingTimeInterval(min(Double(random.int(60...240)), age / 3))
        let id = openRequest(unitID: unitID, reportedAt: reportedAt, loggedAt: loggedAt,
                             channel: random.pick([("phone", 0.55), ("email", 0.15), ("portal", 0.3)]),
                             callType: preventive ? "preventive" : "corrective", problem: problem)
        if state == .fresh {
            if random.chance(0.6) { moveRequest(id, to: "triage", at: loggedAt.addingTimeInterval(age / 3), by: Self.helpDesk) }
            return
        }
        let dispatchAt = loggedAt.addingTimeInterval(Double(random.int(5...15)) * 60)
        if preventive {
            moveRequest(id, to: "dispatch_needed", at: dispatchAt, by: Self.dispatcher)
        } else {
            moveRequest(id, to: "triage", at: loggedAt.addingTimeInterval(Double(random.int(2...4)) * 60), by: Self.helpDesk)
            moveRequest(id, to: "dispatch_needed", at: dispatchAt, by: Self.helpDesk)
        }
        switch state {
        case .scheduled:
            schedule(id, unitID: unitID, dispatchAt: dispatchAt, visitDay: visitDay)
        case .active:
            if !startWork(id, unitID: unitID, dispatchAt: dispatchAt) { schedule(id, unitID: unitID, dispatchAt: dispatchAt, visitDay: visitDay) }
        case .waitingForParts:
            orderPart(id, unitID: unitID, part: rows.modelParts[unit.model][problem!.partRole!]!, dispatchAt: dispatchAt)
        case .fresh, .dispatchNeeded:
            break
        }
    }

    /// A time between `start` and now, at the given fraction of the way.
    func between(_ start: Date, fraction: Double) -> Date {
        start.addingTimeInterval(max(0, clock.now.timeIntervalSince(start)) * fraction)
    }

    /// Books a visit later today (or on the next workday), planned or already dispatched.
    mutating func schedule(_ id: Int, unitID: Int, dispatchAt: Date, visitDay: Int) {
        let unit = rows.units[unitID - 1]
        let minutes = rows.requests[id - 1].callType == "preventive" ? 60 : SampleCatalogue.models[unit.model].repairMinutes
        guard let booking = findSlot(siteID: unit.siteID, model: unit.model, minutes: minutes, earliestDay: visitDay,
                                     earliestMinute: visitDay == 0 ? clock.minuteOfNow + 15 : 0, lastDay: visitDay) else { return }
        reserve(booking, until: booking.arrival + minutes, siteID: unit.siteID)
        let bookedAt = between(dispatchAt, fraction: random.double(0.2...0.6))
        let visitID = bookVisit(requestID: id, technicianID: booking.technicianID,
                                start: clock.instant(day: booking.day, minute: booking.arrival), minutes: minutes, at: bookedAt)
        if random.chance(0.5) { moveVisit(visitID, to: "dispatched", at: between(bookedAt, fraction: random.double(0.1...0.9)), by: Self.dispatcher) }
    }

    /// A technician on shift now, free, skilled for the unit: on site for a while already, or on the way.
    /// - Returns: false when nobody fits (the call is scheduled instead).
    mutating func startWork(_ id: Int, unitID: Int, dispatchAt: Date) -> Bool {
        let unit = rows.units[unitID - 1]
        let site = rows.sites[unit.siteID - 1]
        let model = SampleCatalogue.models[unit.model]
        let category = SampleCatalogue.categories.firstIndex { $0.name == model.category.name }!
        let pool = candidates[site.town][category].isEmpty ? everyone[category] : candidates[site.town][category]
        let nowMinute = clock.minuteOfNow
        let onSite = random.chance(0.6)
        for _ in 0..<12 {
            let technicianID = random.pick(pool)
            let technician = rows.technicians[technicianID - 1]
            guard technician.levels[category] >= model.skillLevel, !technician.leaveDays.contains(0),
                  technician.shiftStart <= nowMinute - 30, nowMinute + 30 <= technician.shiftEnd,
                  agenda[Self.agendaKey(day: 0, technicianID: technicianID)] == nil else { continue }
            let travel = SampleGeography.driveMinutes(technician.location, site.location)
            let arrival = onSite ? nowMinute - random.int(5...max(5, min(45, model.repairMinutes - 10))) : nowMinute + random.int(5...25)
            let enRoute = onSite ? arrival - travel : nowMinute - random.int(2...15)
            let enRouteAt = clock.instant(day: 0, minute: enRoute)
            guard enRouteAt.timeIntervalSince(dispatchAt) >= 600, enRoute >= technician.shiftStart - 15 else { continue }
            let plannedStart = onSite ? arrival - random.int(0...10) : arrival
            let booking = Booking(technicianID: technicianID, day: 0, arrival: plannedStart, travel: travel)
            reserve(booking, until: max(plannedStart, arrival) + model.repairMinutes, siteID: unit.siteID)
            let bookedAt = dispatchAt.addingTimeInterval(enRouteAt.timeIntervalSince(dispatchAt) * random.double(0.1...0.4))
            let visitID = bookVisit(requestID: id, technicianID: technicianID, start: clock.instant(day: 0, minute: plannedStart),
                                    minutes: model.repairMinutes, at: bookedAt)
            moveVisit(visitID, to: "dispatched", at: bookedAt.addingTimeInterval(enRouteAt.timeIntervalSince(bookedAt) * 0.5),
                      by: Self.dispatcher)
            let actor = user(ofTechnician: technicianID)
            moveVisit(visitID, to: "en_route", at: enRouteAt, by: actor)
            if onSite { moveVisit(visitID, to: "on_site", at: clock.instant(day: 0, minute: arrival), by: actor) }
            return true
        }
        return false
    }

    /// A vendor part ordered this morning (RMA approved, or shipped with an ETA later today), delivered to the
    /// site (customer-replaceable parts), the nearest depot or a technician's van; the call waits for dispatch or is
    /// on hold for parts.
    mutating func orderPart(_ id: Int, unitID: Int, part partID: Int, dispatchAt: Date) {
        let unit = rows.units[unitID - 1]
        let site = rows.sites[unit.siteID - 1]
        let nowMinute = clock.minuteOfNow
        let eta = nowMinute + 60 <= 19 * 60 && clock.isWorkday(0)
            ? clock.instant(day: 0, minute: random.int(nowMinute + 60...min(19 * 60, nowMinute + 360)))
            : clock.instant(day: nextWorkday(after: 0), minute: random.int(540...720))
        let shipped = random.chance(0.6)
        let rmaAt = between(dispatchAt, fraction: random.double(0.1...0.3))
        let rma = openRMA(requestID: id, partID: partID, at: rmaAt, eta: shipped ? nil : eta)
        var destination: [(String, SampleJSON.Value)]
        if rows.parts[partID - 1].customerReplaceable {
            destination = [("destination", .string("site"))]
        } else if let technicians = candidates[site.town].first(where: { !$0.isEmpty }), random.chance(0.5) {
            destination = [("destination", .string("vehicle")), ("destination_vehicle_id", .int(random.pick(technicians)))]
        } else {
            destination = [("destination", .string("depot")), ("destination_depot_id", .int(rows.nearestDepot(to: site.location)))]
        }
        let approvedAt = between(rmaAt, fraction: random.double(0.2...0.5))
        let number: (String, SampleJSON.Value) = ("rma_number", .string("RMA\(SampleGenerator.padded(rma, width: 7))"))
        if shipped {
            moveRMA(rma, to: "approved", at: approvedAt, data: [number])
            moveRMA(rma, to: "shipped", at: between(approvedAt, fraction: random.double(0.3...0.9)), data: [
                ("carrier", .string(random.pick(["UPS", "DHL Express", "Chronopost"]))),
                ("tracking_number", .string("1Z\(random.int(100_000_000...999_999_999))")),
                ("eta", .string(Timestamp.format(eta))),
            ] + destination)
        } else {
            moveRMA(rma, to: "approved", at: approvedAt, data: [number] + destination)
        }
        if random.chance(0.5) {
            moveRequest(id, to: "on_hold", at: between(rmaAt, fraction: 0.1), by: Self.dispatcher, holdCode: "waiting_for_parts",
                        reason: "Vendor part on order (RMA \(rma))")
        }
    }
}
