import Foundation
import TruckrollDomain

extension SampleOperations {
    /// Calls logged per technician on a workday (corrective and preventive; some are resolved on the phone).
    static let callsPerTechnicianPerWorkday = 3.2
    /// Share of the workday volume that comes in on a weekend (24×7 sites only).
    static let weekendShare = 0.06

    /// Closed calls of the past `days` days, day by day: logged, triaged, resolved on the phone or dispatched,
    /// visited (sometimes twice, after a vendor RMA or a depot pick-up), parts fitted, resolved and closed; a few
    /// come back as callbacks.
    mutating func makeHistory(days: Int) {
        guard days > 0 else { return }
        let allUnits = SampleUnitPicker(unitIDs: Array(1...rows.units.count), units: rows.units)
        let alwaysOpen = SampleUnitPicker(unitIDs: rows.units.indices.filter { rows.sites[rows.units[$0].siteID - 1].accessHours == nil }
            .map { $0 + 1 }, units: rows.units)
        var callbacks: [Int: [Int]] = [:]
        let workdayCalls = Double(rows.technicians.count) * Self.callsPerTechnicianPerWorkday
        for day in -days ... -1 {
            vanStock = vanShelf
            let workday = clock.isWorkday(day)
            let count = Int((workdayCalls * (workday ? random.double(0.85...1.15) : Self.weekendShare)).rounded())
            var arrivals: [(at: Date, unitID: Int?)] = (0..<count).map { _ in
                let minute = workday ? 450 + Int(600 * pow(random.unit(), 1.4)) : random.int(0...1_439)
                return (clock.instant(day: day, minute: minute), nil)
            }
            arrivals += (callbacks[day] ?? []).map { (clock.instant(day: day, minute: random.int(480...960)), $0) }
            arrivals.sort { $0.at < $1.at }
            // A call late yesterday would still be open now: those are the open calls' business.
            for arrival in arrivals where arrival.at < clock.now.addingTimeInterval(-6 * 3_600) {
                let unitID: Int
                if let callbackUnit = arrival.unitID {
                    guard (busyUntil[callbackUnit] ?? .distantPast) < arrival.at else { continue }
                    unitID = callbackUnit
                } else {
                    guard let picked = pickUnit(workday ? allUnits : alwaysOpen, day: day, at: arrival.at) else { continue }
                    unitID = picked
                }
                if let callback = pastCall(unitID: unitID, day: day, reportedAt: arrival.at, preventiveAllowed: arrival.unitID == nil),
                   callback < 0 {
                    callbacks[callback, default: []].append(unitID)
                }
            }
        }
    }

    /// A unit that is installed, has no call open, and rarely one fixed within its callback window (callbacks come
    /// mostly from repairs that did not hold, seeded on purpose).
    mutating func pickUnit(_ picker: SampleUnitPicker, day: Int, at: Date) -> Int? {
        guard !picker.isEmpty else { return nil }
        for _ in 0..<12 {
            let unitID = picker.pick(using: &random)
            let unit = rows.units[unitID - 1]
            guard unit.installDay < day, (busyUntil[unitID] ?? .distantPast) < at else { continue }
            let window = Double(SampleCatalogue.models[unit.model].callbackDays) * 86_400
            if let last = lastRestored[unitID], at.timeIntervalSince(last.at) < window, !random.chance(0.02) { continue }
            return unitID
        }
        return nil
    }

    /// One call of the past, from logging to closing (or resolved, when closing would be in the future).
    /// - Returns: The day of a callback to seed on the same unit, if the repair is not going to hold.
    mutating func pastCall(unitID: Int, day: Int, reportedAt: Date, preventiveAllowed: Bool) -> Int? {
        let unit = rows.units[unitID - 1]
        let model = SampleCatalogue.models[unit.model]
        let preventive = preventiveAllowed && random.chance(0.18)
        let problem = preventive ? nil : random.pick(model.category.problems.map { ($0, $0.weight) })
        let loggedAt = reportedAt.addingTimeInterval(Double(random.int(1...6)) * 60)
        let channel = random.pick([("phone", 0.55), ("email", 0.15), ("portal", 0.3)])
        if let problem, random.chance(problem.remoteRate) {
            remoteCall(unitID: unitID, reportedAt: reportedAt, loggedAt: loggedAt, channel: channel, problem: problem)
            return nil
        }
        let triagedAt = loggedAt.addingTimeInterval(Double(random.int(2...12)) * 60)
        let escalated = !preventive && random.chance(0.1)
        let dispatchAt = triagedAt.addingTimeInterval(Double(random.int(5...20) + (escalated ? 30 : 0)) * 60)
        let plannedMinutes = preventive ? 60 : model.repairMinutes
        guard let first = findSlot(siteID: unit.siteID, model: unit.model, minutes: plannedMinutes, earliestDay: day,
                                   earliestMinute: clock.minute(of: dispatchAt, on: day) + 25,
                                   lastDay: min(-1, day + (preventive ? 10 : 4))) else { return nil }
        // How the first visit goes, and when the second one can be, decided before anything is written.
        let actualMinutes = max(10, Int(Double(plannedMinutes) * random.double(0.6...1.4)))
        let arrival = first.arrival + random.int(0...10)
        let partID = problem?.partRole.map { rows.modelParts[unit.model][$0]! }
        var incomplete: String?
        if !preventive, random.chance(0.02) {
            incomplete = "customer_unavailable"
        } else if let partID, !vanHolds(technicianID: first.technicianID, partID: partID) {
            incomplete = "needs_part"
        }
        var viaVendor = false
        var second: Booking?
        var partETA: (day: Int, minute: Int)?
        if let reason = incomplete {
            let nextDay = nextWorkday(after: first.day)
            viaVendor = reason == "needs_part" && vendorContractOfModel[unit.model] != nil
                && (rows.parts[partID! - 1].defectiveReturn || random.chance(0.6))
            partETA = viaVendor ? (nextDay, random.int(570...840)) : nil
            second = findSlot(siteID: unit.siteID, model: unit.model, minutes: plannedMinutes, earliestDay: nextDay,
                              earliestMinute: (partETA?.minute ?? 0) + 30, lastDay: min(-1, nextDay + 3), preferred: first.technicianID)
            if second == nil { incomplete = nil }
        }
        let departure = arrival + (incomplete == "customer_unavailable" ? 15 : actualMinutes)
        reserve(first, until: max(first.arrival + plannedMinutes, departure), siteID: unit.siteID)
        let fittedPart = incomplete == nil ? partID.flatMap { vanHolds(technicianID: first.technicianID, partID: $0) ? $0 : nil } : nil

        let id = openRequest(unitID: unitID, reportedAt: reportedAt, loggedAt: loggedAt, channel: channel,
                             callType: preventive ? "preventive" : "corrective", problem: problem)
        if preventive {
            moveRequest(id, to: "dispatch_needed", at: dispatchAt, by: Self.dispatcher)
        } else {
            moveRequest(id, to: "triage", at: triagedAt, by: Self.helpDesk)
            if escalated {
                moveRequest(id, to: "escalated", at: triagedAt.addingTimeInterval(Double(random.int(5...25)) * 60), by: Self.helpDesk)
            }
            moveRequest(id, to: "dispatch_needed", at: dispatchAt, by: Self.helpDesk)
        }
        let bookedAt = dispatchAt.addingTimeInterval(Double(random.int(3...20)) * 60)
        let visitID = bookVisit(requestID: id, technicianID: first.technicianID, start: clock.instant(day: first.day, minute: first.arrival),
                                minutes: plannedMinutes, at: bookedAt)
        let firstEnd: VisitEnd
        let notes = preventive ? "Preventive maintenance: cleaned, adjusted, firmware checked" : problem!.fix
        let pages = meterPages(unitID: unitID, day: first.day)
        switch incomplete {
        case "customer_unavailable"?:
            firstEnd = VisitEnd(outcome: "incomplete", notes: "Nobody on site to let us in", incompleteCode: "customer_unavailable")
        case "needs_part"?:
            firstEnd = VisitEnd(outcome: "incomplete", notes: "Diagnosed, the part is not in the van", incompleteCode: "needs_part")
        default:
            let faultless = !preventive && partID == nil && random.chance(0.15)
            firstEnd = VisitEnd(outcome: faultless ? "no_fault_found" : "fixed",
                                notes: faultless ? "No fault found, tested with the customer" : notes, meterPages: pages)
        }
        work(visitID, booking: first, arrival: arrival, departure: departure, bookedAt: bookedAt,
             partID: fittedPart, end: firstEnd)
        var lastDay = first.day
        if let second, let reason = incomplete {
            let departedAt = clock.instant(day: first.day, minute: departure)
            var rmaID: Int?
            var bookedAgain = departedAt.addingTimeInterval(Double(random.int(20...90)) * 60)
            if viaVendor, let partID, let eta = partETA {
                let order = orderPastPart(requestID: id, partID: partID, departedAt: departedAt, eta: clock.instant(day: eta.day, minute: eta.minute))
                bookedAgain = order.shippedAt.addingTimeInterval(Double(random.int(10...60)) * 60)
                rmaID = order.rmaID
            }
            let secondVisit = bookVisit(requestID: id, technicianID: second.technicianID,
                                        start: clock.instant(day: second.day, minute: second.arrival), minutes: plannedMinutes, at: bookedAgain)
            if let rmaID, let eta = partETA { deliverPastPart(rmaID, eta: eta, toVehicle: second.technicianID) }
            let secondArrival = second.arrival + random.int(0...10)
            let secondDeparture = secondArrival + actualMinutes
            reserve(second, until: max(second.arrival + plannedMinutes, secondDeparture), siteID: unit.siteID)
            if reason == "needs_part", let partID {
                vanStock[second.technicianID * rows.parts.count + partID, default: 0] += 1
            }
            let fitted = partID.flatMap { vanHolds(technicianID: second.technicianID, partID: $0) ? $0 : nil }
            work(secondVisit, booking: second, arrival: secondArrival, departure: secondDeparture, bookedAt: bookedAgain,
                 partID: fitted, end: VisitEnd(outcome: "fixed", notes: notes, meterPages: meterPages(unitID: unitID, day: second.day)))
            if let rmaID { finishRMA(rmaID, after: clock.instant(day: second.day, minute: secondDeparture)) }
            lastDay = second.day
        }
        let restoredAt = rows.requests[id - 1].restoredAt!
        let closedAt = officeHours(restoredAt.addingTimeInterval(Double(random.int(60...2_880)) * 60))
        if closedAt < clock.now { moveRequest(id, to: "closed", at: closedAt, by: Self.dispatcher) }
        guard !preventive, random.chance(0.04) else { return nil }
        return lastDay + random.int(1...max(1, model.callbackDays - 2))
    }

    /// A call tier 1 (sometimes tier 2) resolves on the phone.
    mutating func remoteCall(unitID: Int, reportedAt: Date, loggedAt: Date, channel: String, problem: SampleCatalogue.Problem) {
        let id = openRequest(unitID: unitID, reportedAt: reportedAt, loggedAt: loggedAt, channel: channel, callType: "corrective",
                             problem: problem)
        var at = loggedAt.addingTimeInterval(Double(random.int(2...12)) * 60)
        moveRequest(id, to: "triage", at: at, by: Self.helpDesk)
        if random.chance(0.3) {
            at.addTimeInterval(Double(random.int(10...40)) * 60)
            moveRequest(id, to: "escalated", at: at, by: Self.helpDesk)
        }
        at.addTimeInterval(Double(random.int(15...120)) * 60)
        moveRequest(id, to: "resolved_remotely", at: at, by: Self.helpDesk, resolution: ("remote_fix", problem.fix))
        let closedAt = officeHours(at.addingTimeInterval(Double(random.int(60...1_800)) * 60))
        if closedAt < clock.now { moveRequest(id, to: "closed", at: closedAt, by: Self.helpDesk) }
    }

    /// A visit from dispatch to departure: dispatched, en route, on site, a part fitted, completed or incomplete.
    mutating func work(_ visitID: Int, booking: Booking, arrival: Int, departure: Int, bookedAt: Date, partID: Int?, end: VisitEnd) {
        let technician = rows.technicians[booking.technicianID - 1]
        let actor = user(ofTechnician: booking.technicianID)
        let dispatchedAt = clock.minute(of: bookedAt, on: booking.day) < 0
            ? clock.instant(day: booking.day, minute: technician.shiftStart - random.int(5...20))
            : bookedAt.addingTimeInterval(Double(random.int(1...5)) * 60)
        moveVisit(visitID, to: "dispatched", at: dispatchedAt, by: Self.dispatcher)
        moveVisit(visitID, to: "en_route", at: clock.instant(day: booking.day, minute: arrival - booking.travel), by: actor)
        moveVisit(visitID, to: "on_site", at: clock.instant(day: booking.day, minute: arrival), by: actor)
        if let partID {
            usePart(visitID: visitID, partID: partID, at: clock.instant(day: booking.day, minute: arrival + (departure - arrival) * 3 / 5))
        }
        moveVisit(visitID, to: end.incompleteCode == nil ? "completed" : "incomplete",
                  at: clock.instant(day: booking.day, minute: departure), by: actor, end: end)
    }

    /// A vendor RMA for a part a technician lacked: opened, approved and shipped the day of the visit, due on `eta`.
    mutating func orderPastPart(requestID: Int, partID: Int, departedAt: Date, eta: Date) -> (rmaID: Int, shippedAt: Date) {
        let rma = openRMA(requestID: requestID, partID: partID, at: departedAt.addingTimeInterval(Double(random.int(15...60)) * 60), eta: nil)
        let approvedAt = rows.rmas[rma - 1].createdAt.addingTimeInterval(Double(random.int(60...180)) * 60)
        moveRMA(rma, to: "approved", at: approvedAt, data: [("rma_number", .string("RMA\(SampleGenerator.padded(rma, width: 7))"))])
        let shippedAt = approvedAt.addingTimeInterval(Double(random.int(30...180)) * 60)
        moveRMA(rma, to: "shipped", at: shippedAt, data: [
            ("carrier", .string(random.pick(["UPS", "DHL Express", "Chronopost"]))),
            ("tracking_number", .string("1Z\(random.int(100_000_000...999_999_999))")),
            ("eta", .string(Timestamp.format(eta))),
        ])
        return (rma, shippedAt)
    }

    /// The vendor part delivered to the van of the technician who fits it; an advance exchange's defective part is
    /// due back within the contract's business days.
    mutating func deliverPastPart(_ id: Int, eta: (day: Int, minute: Int), toVehicle vehicleID: Int) {
        moveRMA(id, to: "delivered", at: clock.instant(day: eta.day, minute: eta.minute + random.int(-30...20)),
                data: [("destination", .string("vehicle")), ("destination_vehicle_id", .int(vehicleID))])
        let contract = rows.vendorContracts[rows.rmas[id - 1].vendorContractID - 1]
        if rows.rmas[id - 1].kind == "advance_exchange", let days = contract.defectiveReturnDays {
            rows.rmas[id - 1].defectiveDueOn = clock.dateText(eta.day + days * 7 / 5)
        }
    }

    /// After the part is fitted: an advance exchange sends the defective part back, then the RMA is closed.
    mutating func finishRMA(_ id: Int, after fitted: Date) {
        var at = officeHours(fitted.addingTimeInterval(Double(random.int(600...4_000)) * 60))
        guard at < clock.now else { return }
        if rows.rmas[id - 1].kind == "advance_exchange" {
            moveRMA(id, to: "defective_returned", at: at)
            at = officeHours(at.addingTimeInterval(Double(random.int(600...4_000)) * 60))
            guard at < clock.now else { return }
        }
        moveRMA(id, to: "closed", at: at)
    }

    /// The same instant when it falls in office hours (07:30 to 19:00 on a workday), else early the next working
    /// morning: the office closes calls and RMAs, not the night shift.
    mutating func officeHours(_ date: Date) -> Date {
        var day = Int((date.timeIntervalSince(clock.instant(day: 0, minute: 0)) / 86_400).rounded(.down))
        let minute = clock.minute(of: date, on: day)
        if clock.isWorkday(day), (450..<1_140).contains(minute) { return date }
        if minute >= 450 || !clock.isWorkday(day) { day = nextWorkday(after: day) }
        return clock.instant(day: day, minute: random.int(465...540))
    }

    /// The meter of a page-counting unit on a day (nil for other units): pages grow steadily from installation.
    func meterPages(unitID: Int, day: Int) -> Int? {
        let unit = rows.units[unitID - 1]
        guard unit.pagesPerDay > 0 else { return nil }
        return (day - unit.installDay) * unit.pagesPerDay + unitID % 997
    }
}
