import Foundation

extension SampleGenerator {
    /// Technicians per depot.
    static let techniciansPerDepot = 40

    /// Technicians with skills, calendars and a van each; depots; the stock on their shelves and in the vans.
    mutating func makeWorkforce() {
        var random = seed.fork(3)
        var sitesPerTown = [Double](repeating: 0, count: towns.count)
        for site in rows.sites { sitesPerTown[site.town] += 1 }
        let townWeights = towns.indices.map { ($0, max(sitesPerTown[$0], 0.5)) }
        let depotCount = (business.size.technicians + Self.techniciansPerDepot - 1) / Self.techniciansPerDepot
        for number in 1...depotCount {
            let town = towns[(number - 1) % towns.count]
            let point = SampleGeography.point(near: town, radius: town.radiusKilometres / 2, using: &random)
            rows.depots.append(SampleRecord.Depot(
                code: "D" + Self.padded(number, width: 2), name: "Dépôt \(town.name) \(number)",
                address: SampleGeography.address(in: town, using: &random), latitude: point.latitude, longitude: point.longitude,
                openingHours: SampleJSON.weeklyHours(days: SampleCatalogue.weekdays, start: "07:00", end: "18:00")))
        }
        let categories = SampleCatalogue.categories
        let primaryWeights: [(Int, Double)] = [(0, 0.38), (1, 0.17), (2, 0.2), (3, 0.1), (4, 0.15)]
        let shifts: [((Int, Int), Double)] = [((480, 1_020), 0.7), ((420, 960), 0.15), ((540, 1_080), 0.15)]
        let vans = ["Renault Kangoo Van E-Tech", "Citroën Berlingo Van", "Peugeot Partner", "Ford Transit Connect"]
        for number in 1...business.size.technicians {
            let town = random.pick(townWeights)
            let home = SampleGeography.point(near: towns[town], radius: towns[town].radiusKilometres * 1.3, using: &random)
            var levels = [Int](repeating: 0, count: categories.count)
            let primary = random.pick(primaryWeights)
            levels[primary] = random.int(3...5)
            for other in categories.indices where other != primary {
                let officePair = (primary == 0 && other == 1) || (primary == 1 && other == 0)
                if random.chance(officePair ? 0.8 : 0.3) { levels[other] = random.int(officePair ? 2...4 : 1...3) }
            }
            let skills = SampleJSON.array(categories.indices.filter { levels[$0] > 0 }.map {
                SampleJSON.object([("skill", .string(categories[$0].skill)), ("level", .int(levels[$0]))])
            })
            let shift = random.pick(shifts)
            var leave = Set<Int>()
            if random.chance(0.05) { leave.insert(0) }
            if business.historyDays > 0, random.chance(0.3) {
                let first = -random.int(1...business.historyDays)
                for day in first..<min(0, first + random.int(1...5)) { leave.insert(day) }
            }
            let exceptions = leave.sorted().map { day in
                SampleJSON.object([("date", .string(clock.dateText(day))), ("available", .bool(false)), ("reason", .string("leave"))])
            }
            let calendar = SampleJSON.object([
                ("weekly", .raw(SampleJSON.weeklyHours(days: SampleCatalogue.weekdays,
                                                       start: Self.clockText(shift.0), end: Self.clockText(shift.1)))),
                ("exceptions", .raw(SampleJSON.array(exceptions))),
            ])
            let code = "T" + Self.padded(number, width: 4)
            rows.technicians.append(SampleRecord.Technician(
                code: code, name: SampleGeography.personName(using: &random), email: "\(code.lowercased())@dealer.example",
                phone: Self.phone(using: &random), latitude: home.latitude, longitude: home.longitude, skills: skills,
                calendar: calendar, overtimeMinutes: random.pick([0, 30, 60, 60, 90]), levels: levels,
                shiftStart: shift.0, shiftEnd: shift.1, leaveDays: leave, town: town))
            rows.vehicles.append(SampleRecord.Vehicle(
                registration: Self.registration(number), technicianID: number, depotID: rows.nearestDepot(to: home), description: random.pick(vans)))
            for (modelIndex, model) in SampleCatalogue.models.enumerated() {
                let categoryIndex = categories.firstIndex { $0.name == model.category.name }!
                guard levels[categoryIndex] >= model.skillLevel else { continue }
                for part in model.category.parts where random.chance(0.85) {
                    rows.stock.append(SampleRecord.StockItem(
                        vehicleID: number, depotID: nil, partID: rows.modelParts[modelIndex][part.role]!, quantity: random.int(1...3)))
                }
            }
        }
        for depot in rows.depots.indices {
            for part in rows.parts.indices {
                rows.stock.append(SampleRecord.StockItem(vehicleID: nil, depotID: depot + 1, partID: part + 1, quantity: random.int(2...30)))
            }
        }
    }

    /// `HH:MM` of a minute of the day.
    static func clockText(_ minute: Int) -> String {
        padded(minute / 60, width: 2) + ":" + padded(minute % 60, width: 2)
    }

    /// A unique French-style plate (`AB-123-CD`) for a van number.
    static func registration(_ number: Int) -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTVWXYZ")
        func pair(_ value: Int) -> String { String([letters[value / letters.count % letters.count], letters[value % letters.count]]) }
        return "\(pair(number / 1_000 + 7))-\(padded(number % 1_000, width: 3))-\(pair(number * 7 + 31))"
    }

    /// The people who sign in: an admin, the help desk, a dispatcher, a manager, a coordinator for the first vendor,
    /// and one user per technician (named after its code in lower case).
    mutating func makeUsers() {
        rows.users = [
            SampleRecord.User(username: SampleBusiness.Users.admin, displayName: "Demo administrator", role: "admin"),
            SampleRecord.User(username: SampleBusiness.Users.helpDesk, displayName: "Help desk", role: "support_agent"),
            SampleRecord.User(username: SampleBusiness.Users.dispatcher, displayName: "Dispatcher", role: "dispatcher"),
            SampleRecord.User(username: SampleBusiness.Users.manager, displayName: "Support manager", role: "manager"),
            SampleRecord.User(username: SampleBusiness.Users.vendorCoordinator, displayName: "Vendor coordinator (\(rows.vendors[0].name))",
                              role: "vendor_coordinator", vendorID: 1),
        ]
        for (index, technician) in rows.technicians.enumerated() {
            rows.users.append(SampleRecord.User(
                username: technician.code.lowercased(), displayName: technician.name, role: "technician", technicianID: index + 1))
        }
    }
}
