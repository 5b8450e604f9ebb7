import FoundationEssentials
import TruckrollDomain

/// Where a technician gets each part a request needs, and so the earliest time they can start the repair.
enum PartsAvailability {
    /// One way to have a part on site.
    struct Source: Sendable {
        /// Where the part is.
        enum Origin: Sendable {
            case van
            case depot(code: String)
            case rma(id: Int, eta: Date, destination: String)
        }

        /// When the technician can be on site with it.
        let onSite: Date
        /// Where it comes from.
        let origin: Origin

        /// For people: "in the van", "pick up at depot D01", "RMA 12 to the site, ETA …".
        var description: String {
            switch origin {
            case .van: "in the van"
            case .depot(let code): "pick up at depot \(code)"
            case .rma(let id, let eta, let destination): "RMA \(id) to \(destination), ETA \(Timestamp.format(eta))"
            }
        }
    }

    /// The best source of `part` for `technician`, or `nil` when there is none.
    static func bestSource(
        of part: PartNeed, for request: PlanningRequest, by technician: PlanningTechnician, firstShiftStart: Date,
        depots: [PlanningDepot], policy: PlanningPolicy, travel: any TravelModel
    ) -> Source? {
        if technician.vanStock[part.partID, default: 0] > 0 { return Source(onSite: .distantPast, origin: .van) }
        var best: Source?
        func consider(_ source: Source) {
            if best.map({ source.onSite < $0.onSite }) ?? true { best = source }
        }
        func viaDepot(_ depot: PlanningDepot, readyAt: Date) -> Date {
            let there = firstShiftStart.addingTimeInterval(travel.leg(from: technician.home, to: depot.location).minutes * 60)
            return max(there, readyAt).addingTimeInterval((policy.depotPickupMinutes + travel.leg(from: depot.location, to: request.location).minutes) * 60)
        }
        for inbound in part.inbound {
            switch inbound.destination {
            case .site:
                consider(Source(onSite: inbound.eta, origin: .rma(id: inbound.rmaID, eta: inbound.eta, destination: "the site")))
            case .vehicle(let technicianID) where technicianID == technician.id:
                consider(Source(onSite: inbound.eta.addingTimeInterval(travel.leg(from: technician.home, to: request.location).minutes * 60),
                                origin: .rma(id: inbound.rmaID, eta: inbound.eta, destination: "the van")))
            case .vehicle:
                continue
            case .depot(let id):
                guard let depot = depots.first(where: { $0.id == id }) else { continue }
                consider(Source(onSite: viaDepot(depot, readyAt: inbound.eta),
                                origin: .rma(id: inbound.rmaID, eta: inbound.eta, destination: "depot \(depot.code)")))
            }
        }
        for depot in depots where depot.stock[part.partID, default: 0] > 0 {
            consider(Source(onSite: viaDepot(depot, readyAt: .distantPast), origin: .depot(code: depot.code)))
        }
        return best
    }

    /// The parts that constrain the visit: every required part, and each likely part above the policy's threshold.
    static func constrainingParts(of request: PlanningRequest, policy: PlanningPolicy) -> [PartNeed] {
        request.parts.filter { $0.likelihood.map { $0 >= policy.likelyPartThreshold } ?? true }
    }

    /// The earliest start of the repair by `technician` as far as parts go: `.distantPast` when nothing is missing,
    /// `nil` when a required part cannot be had. A likely part that no one has does not hold the visit back.
    /// - Parameter parts: ``constrainingParts(of:policy:)`` of the request.
    static func earliestStart(
        of request: PlanningRequest, needing parts: [PartNeed], by technician: PlanningTechnician, firstShiftStart: Date,
        depots: [PlanningDepot], policy: PlanningPolicy, travel: any TravelModel
    ) -> Date? {
        var earliest = Date.distantPast
        for part in parts {
            if let source = bestSource(of: part, for: request, by: technician, firstShiftStart: firstShiftStart, depots: depots, policy: policy, travel: travel) {
                earliest = max(earliest, source.onSite)
            } else if part.isRequired {
                return nil
            }
        }
        return earliest
    }
}
