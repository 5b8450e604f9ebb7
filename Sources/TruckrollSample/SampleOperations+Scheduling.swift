/// Where a technician's day stands: free from a minute, at a place.
struct SampleSlot {
    var freeFrom: Int
    var latitude, longitude: Double
}

extension SampleOperations {
    /// A visit's place in a technician's day.
    struct Booking {
        var technicianID: Int
        var day: Int
        /// Planned arrival, minutes after local midnight.
        var arrival: Int
        var travel: Int
    }

    /// The earliest place for a visit of `minutes` at a site, from `earliest` on, among technicians of the site's
    /// town skilled for the model (a sample of them, the preferred one first): within their shift plus half their
    /// overtime, never on leave, Monday to Friday, and after the visits already planned that day.
    mutating func findSlot(
        siteID: Int, model: Int, minutes: Int, earliestDay: Int, earliestMinute: Int, lastDay: Int, preferred: Int? = nil
    ) -> Booking? {
        guard earliestDay <= lastDay else { return nil }
        let site = rows.sites[siteID - 1]
        let catalogueModel = SampleCatalogue.models[model]
        let category = SampleCatalogue.categories.firstIndex { $0.name == catalogueModel.category.name }!
        let local = candidates[site.town][category]
        let pool = local.count >= 3 ? local : everyone[category]
        guard !pool.isEmpty else { return nil }
        var sample = preferred.map { [$0] } ?? []
        for _ in 0..<min(6, pool.count) { sample.append(random.pick(pool)) }
        sample = sample.filter { rows.technicians[$0 - 1].levels[category] >= catalogueModel.skillLevel }
        for day in earliestDay...lastDay where clock.isWorkday(day) {
            var best: Booking?
            for technicianID in sample {
                let technician = rows.technicians[technicianID - 1]
                guard !technician.leaveDays.contains(day) else { continue }
                let slot = agenda[Self.agendaKey(day: day, technicianID: technicianID)]
                    ?? SampleSlot(freeFrom: technician.shiftStart, latitude: technician.latitude, longitude: technician.longitude)
                let travel = SampleGeography.driveMinutes((slot.latitude, slot.longitude), site.location)
                let arrival = max(slot.freeFrom, day == earliestDay ? earliestMinute : 0) + travel
                guard arrival + minutes <= technician.shiftEnd + technician.overtimeMinutes / 2 else { continue }
                if best == nil || arrival < best!.arrival {
                    best = Booking(technicianID: technicianID, day: day, arrival: arrival, travel: travel)
                }
            }
            if let best { return best }
        }
        return nil
    }

    /// Holds a technician's day until `until` (a minute of the booking's day), at the booked site.
    mutating func reserve(_ booking: Booking, until: Int, siteID: Int) {
        let site = rows.sites[siteID - 1]
        agenda[Self.agendaKey(day: booking.day, technicianID: booking.technicianID)] =
            SampleSlot(freeFrom: until, latitude: site.latitude, longitude: site.longitude)
    }

    static func agendaKey(day: Int, technicianID: Int) -> Int { day * 1_000_000 + technicianID }

    /// The first workday after `day`.
    func nextWorkday(after day: Int) -> Int {
        var next = day + 1
        while !clock.isWorkday(next) { next += 1 }
        return next
    }
}
