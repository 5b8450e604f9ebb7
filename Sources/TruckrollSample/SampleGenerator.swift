import Foundation

/// Builds every row of a ``SampleBusiness`` in memory, deterministically from its seed: the registry first
/// (catalogue, customers, contracts, vendors, workforce, users), then the history of closed calls, then this
/// morning's open calls.
struct SampleGenerator {
    let business: SampleBusiness
    let clock: SampleClock
    let towns: [SampleGeography.Town]
    let seed: SplitMix64
    var rows = SampleRows()

    init(business: SampleBusiness) {
        self.business = business
        clock = SampleClock(now: business.now, days: -(business.historyDays + 3_000)...20)
        towns = SampleGeography.towns(forTechnicians: business.size.technicians)
        seed = SplitMix64(seed: business.seed)
    }

    /// Every row of the sample.
    mutating func generate() -> SampleRows {
        makeCatalogue()
        makeCustomers()
        makeContracts()
        makeVendors()
        makeWorkforce()
        makeUsers()
        var operations = SampleOperations(rows: rows, clock: clock, seed: seed.fork(100))
        operations.makeHistory(days: business.historyDays)
        operations.makeOpenCalls(count: business.size.openRequests)
        rows = operations.rows
        // Ids in time order, as the API assigns them; the sort is stable, so an effect logged at the same instant
        // as its cause stays after it.
        rows.events.sort { $0.at < $1.at }
        return rows
    }

    /// Money with cents, from a double.
    static func money(_ value: Double) -> Decimal {
        Decimal(Int((value * 100).rounded())) / 100
    }

    /// A number with leading zeros.
    static func padded(_ number: Int, width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: catalogue

    mutating func makeCatalogue() {
        for (index, model) in SampleCatalogue.models.enumerated() {
            var parts: [String: Int] = [:]
            for part in model.category.parts {
                rows.parts.append(SampleRecord.Part(
                    partNumber: "\(model.code)-\(part.role)", description: "\(model.manufacturer) \(model.name) \(part.description)",
                    unitCost: Self.money(part.unitCost * (0.9 + 0.05 * Double(index % 5))),
                    customerReplaceable: part.customerReplaceable, defectiveReturn: part.defectiveReturn))
                parts[part.role] = rows.parts.count
            }
            rows.modelParts.append(parts)
        }
    }

    // MARK: customers, sites, units

    mutating func makeCustomers() {
        var random = seed.fork(1)
        let sectors = SampleSectors.all
        let sectorWeights = sectors.indices.map { ($0, sectors[$0].weight) }
        let townWeights = towns.indices.map { ($0, towns[$0].weight) }
        for number in 1...business.size.customers {
            let sectorIndex = random.pick(sectorWeights)
            let sector = sectors[sectorIndex]
            let town = random.pick(townWeights)
            let name = random.pick(sector.names).replacingOccurrences(of: "{last}", with: random.pick(SampleGeography.lastNames))
                .replacingOccurrences(of: "{town}", with: towns[town].name)
            let contactName = SampleGeography.personName(using: &random)
            rows.customers.append(SampleRecord.Customer(
                code: "C" + Self.padded(number, width: 5), name: name,
                contact: SampleJSON.object([("name", .string(contactName)), ("phone", .string(Self.phone(using: &random)))]),
                sector: sectorIndex, town: town))
            let customerID = rows.customers.count
            var departmentIDs: [Int] = []
            for department in sector.departments where departmentIDs.isEmpty || random.chance(0.6) {
                rows.departments.append(SampleRecord.Department(
                    customerID: customerID, name: department, costCenter: "CC-\(random.int(100...999))"))
                departmentIDs.append(rows.departments.count)
            }
            let siteCount = random.pick(sector.sitesPerCustomer)
            for siteNumber in 1...siteCount {
                let siteTown = siteNumber == 1 || random.chance(0.5) ? town : random.pick(townWeights)
                let point = SampleGeography.point(near: towns[siteTown], using: &random)
                rows.sites.append(SampleRecord.Site(
                    code: "S" + Self.padded(rows.sites.count + 1, width: 6), customerID: customerID,
                    name: siteCount == 1 ? name : "\(name) – \(towns[siteTown].name) \(siteNumber)",
                    address: SampleGeography.address(in: towns[siteTown], using: &random),
                    latitude: point.latitude, longitude: point.longitude,
                    accessHours: sector.alwaysOpen ? nil
                        : SampleJSON.weeklyHours(days: sector.hours.days, start: sector.hours.start, end: sector.hours.end),
                    contact: SampleJSON.object([("name", .string(SampleGeography.personName(using: &random))),
                                                ("phone", .string(Self.phone(using: &random)))]),
                    town: siteTown, departmentIDs: departmentIDs))
                makeUnits(siteID: rows.sites.count, sector: sector, departmentIDs: departmentIDs, using: &random)
            }
        }
    }

    mutating func makeUnits(siteID: Int, sector: SampleSectors.Sector, departmentIDs: [Int], using random: inout SplitMix64) {
        let models = SampleCatalogue.models
        for _ in 0..<random.int(sector.unitsPerSite) {
            let category = random.pick(sector.categoryWeights.map { ($0.category, $0.weight) })
            let model = random.pick(models.indices.filter { models[$0].category.name == category }.map { ($0, models[$0].popularity) })
            let serialPrefix = String(models[model].code.filter { $0.isLetter || $0.isNumber }.prefix(6))
            let installDay = -random.int(business.historyDays + 30...business.historyDays + 2_500)
            rows.units.append(SampleRecord.Unit(
                serialNumber: serialPrefix + Self.padded(rows.units.count + 1, width: 7), model: model, siteID: siteID,
                departmentID: random.chance(0.85) ? random.pick(departmentIDs) : nil,
                installDay: installDay, installDate: clock.dateText(installDay),
                criticality: random.pick(sector.criticality),
                downtimeCostPerHour: random.chance(0.08) ? Self.money(random.double(sector.downtimeCostPerHour) * 1.5) : nil,
                contractID: nil,
                pagesPerDay: models[model].category.pagesPerDay.map { random.int($0) } ?? 0))
        }
    }

    static func phone(using random: inout SplitMix64) -> String {
        "+33 \(random.pick(["4", "6", "7"])) \(padded(random.int(0...99), width: 2)) \(padded(random.int(0...99), width: 2)) "
            + "\(padded(random.int(0...99), width: 2)) \(padded(random.int(0...99), width: 2))"
    }

    // MARK: contracts

    /// Response and restore minutes per priority, for three service levels.
    static let targetTiers: [(name: String, minutes: [(Int, Int)])] = [
        ("premium", [(120, 240), (240, 480), (480, 960), (960, 2_400)]),
        ("standard", [(240, 480), (480, 960), (960, 1_920), (1_920, 4_800)]),
        ("basic", [(480, 960), (960, 1_920), (1_440, 2_880), (2_880, 7_200)]),
    ]

    mutating func makeContracts() {
        var random = seed.fork(2)
        let year = Int(clock.dateText(0).prefix(4))!
        let holidays = (year - 1...year + 1).flatMap { y in
            [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)].map {
                SampleClock.dateText(year: y, month: $0.0, day: $0.1)
            }
        }
        var unitsByCustomer = [[Int]](repeating: [], count: rows.customers.count + 1)
        for (index, unit) in rows.units.enumerated() {
            unitsByCustomer[rows.sites[unit.siteID - 1].customerID].append(index + 1)
        }
        for (index, customer) in rows.customers.enumerated() where random.chance(0.88) {
            let sector = SampleSectors.all[customer.sector]
            let tier = sector.alwaysOpen ? Self.targetTiers[0] : random.pick([(Self.targetTiers[0], 1.0), (Self.targetTiers[1], 3.0),
                                                                             (Self.targetTiers[2], 2.0)])
            let coverage: String
            if sector.alwaysOpen {
                coverage = SampleJSON.object([("always", .bool(true))])
            } else {
                let hours = random.chance(0.2) ? ("07:00", "20:00") : ("08:00", "18:00")
                coverage = SampleJSON.object([
                    ("hours", .raw(SampleJSON.weeklyHours(days: SampleCatalogue.weekdays, start: hours.0, end: hours.1))),
                    ("holidays", .raw(SampleJSON.array(holidays.map(SampleJSON.quoted)))),
                ])
            }
            let targets = SampleJSON.object(tier.minutes.enumerated().map { priority, minutes in
                ("P\(priority + 1)", .raw(SampleJSON.object([("response_minutes", .int(minutes.0)), ("restore_minutes", .int(minutes.1))])))
            })
            let cost = (random.double(sector.downtimeCostPerHour) / 5).rounded() * 5
            let covered = unitsByCustomer[index + 1].filter { _ in random.chance(0.92) }
            rows.contracts.append(SampleRecord.Contract(
                reference: "SC-\(customer.code)-\(year)", customerID: index + 1,
                validFrom: "\(year - 1)-01-01", validTo: "\(year + 1)-12-31", coverage: coverage, targets: targets,
                downtimeCostPerHour: Self.money(cost),
                penaltyTerms: tier.name == "premium" ? "5 % of the monthly fee per missed P1 or P2 restore" : nil,
                coversParts: tier.name != "basic", unitIDs: covered))
            for unitID in covered { rows.units[unitID - 1].contractID = rows.contracts.count }
        }
    }

    // MARK: vendors

    mutating func makeVendors() {
        let year = Int(clock.dateText(0).prefix(4))!
        for vendor in SampleCatalogue.vendors {
            rows.vendors.append(SampleRecord.Vendor(
                code: vendor.code, name: vendor.name,
                businessHours: SampleJSON.weeklyHours(days: vendor.hours.days, start: vendor.hours.start, end: vendor.hours.end),
                contact: SampleJSON.object([("email", .string(vendor.email))])))
            for contract in vendor.contracts {
                rows.vendorContracts.append(SampleRecord.VendorContract(
                    vendorID: rows.vendors.count, reference: contract.reference, supportLevel: contract.supportLevel,
                    responseHours: contract.responseHours.map { Self.money($0) }, replacementHours: Self.money(contract.replacementHours),
                    defectiveReturnDays: contract.defectiveReturnDays, validFrom: "\(year - 1)-07-01", validTo: "\(year + 2)-06-30",
                    modelIDs: contract.modelCodes.compactMap { code in
                        SampleCatalogue.models.firstIndex { $0.code == code }.map { $0 + 1 }
                    }))
            }
        }
    }
}
