/// The kinds of customers a service dealer has, each with its own equipment mix, hours and cost of downtime.
enum SampleSectors {
    /// A kind of customer.
    struct Sector: Sendable {
        /// Name patterns: `{last}` becomes a surname, `{town}` the town.
        let names: [String]
        let departments: [String]
        /// Open day and night (hospitals, data centres): no access hours, 24×7 contracts.
        let alwaysOpen: Bool
        /// Access hours when not always open: weekdays, opening, closing.
        let hours: (days: [String], start: String, end: String)
        let categoryWeights: [(category: String, weight: Double)]
        let unitsPerSite: ClosedRange<Int>
        let downtimeCostPerHour: ClosedRange<Double>
        let criticality: [(String, Double)]
        /// Share of customers of this kind.
        let weight: Double
        /// Sites per customer: most have one.
        let sitesPerCustomer: [(Int, Double)]
    }

    static let weekdays = ["mon", "tue", "wed", "thu", "fri"]
    static let office = (days: weekdays, start: "08:00", end: "18:00")
    static let mostlyOne: [(Int, Double)] = [(1, 0.75), (2, 0.15), (3, 0.07), (5, 0.03)]

    static let all: [Sector] = [
        Sector(names: ["Clinique {last}", "Centre hospitalier de {town}", "Clinique du Parc {last}"],
               departments: ["Urgences", "Radiologie", "Laboratoire", "Administration", "Pharmacie"],
               alwaysOpen: true, hours: office,
               categoryWeights: [("copier_mfp", 3), ("printer", 4), ("server", 2), ("storage", 1), ("network", 2)],
               unitsPerSite: 10...24, downtimeCostPerHour: 250...600,
               criticality: [("critical", 0.2), ("high", 0.4), ("normal", 0.35), ("low", 0.05)], weight: 0.5,
               sitesPerCustomer: [(1, 0.6), (2, 0.3), (3, 0.1)]),
        Sector(names: ["{last} Hosting", "Datacentre {town} {last}"],
               departments: ["Exploitation", "Réseau", "Bureaux"],
               alwaysOpen: true, hours: office,
               categoryWeights: [("server", 5), ("storage", 3), ("network", 3), ("printer", 0.5)],
               unitsPerSite: 12...30, downtimeCostPerHour: 300...600,
               criticality: [("critical", 0.3), ("high", 0.45), ("normal", 0.25)], weight: 0.25,
               sitesPerCustomer: [(1, 0.7), (2, 0.3)]),
        Sector(names: ["Cabinet {last} & Associés", "{last} Avocats", "Étude {last}"],
               departments: ["Contentieux", "Droit des affaires", "Secrétariat"],
               alwaysOpen: false, hours: office,
               categoryWeights: [("copier_mfp", 4), ("printer", 3), ("server", 0.6), ("network", 0.6)],
               unitsPerSite: 4...10, downtimeCostPerHour: 60...200,
               criticality: [("high", 0.15), ("normal", 0.65), ("low", 0.2)], weight: 1.5, sitesPerCustomer: mostlyOne),
        Sector(names: ["Fiduciaire {last}", "{last} Expertise Comptable"],
               departments: ["Comptabilité", "Paie", "Accueil"],
               alwaysOpen: false, hours: office,
               categoryWeights: [("copier_mfp", 3), ("printer", 3), ("server", 0.8), ("network", 0.5)],
               unitsPerSite: 4...9, downtimeCostPerHour: 50...150,
               criticality: [("high", 0.1), ("normal", 0.7), ("low", 0.2)], weight: 1.2, sitesPerCustomer: mostlyOne),
        Sector(names: ["Lycée {last}", "Collège {last}", "École {last}"],
               departments: ["Administration", "Salle des professeurs", "CDI"],
               alwaysOpen: false, hours: (weekdays, "07:30", "18:30"),
               categoryWeights: [("copier_mfp", 4), ("printer", 3), ("network", 1), ("server", 0.3)],
               unitsPerSite: 5...12, downtimeCostPerHour: 20...60,
               criticality: [("normal", 0.6), ("low", 0.4)], weight: 1.2, sitesPerCustomer: [(1, 1)]),
        Sector(names: ["Transports {last}", "{last} Logistique"],
               departments: ["Quai", "Exploitation", "Administration"],
               alwaysOpen: false, hours: (weekdays + ["sat"], "06:00", "22:00"),
               categoryWeights: [("printer", 4), ("copier_mfp", 2), ("server", 1), ("network", 1.5)],
               unitsPerSite: 6...14, downtimeCostPerHour: 80...300,
               criticality: [("critical", 0.05), ("high", 0.3), ("normal", 0.5), ("low", 0.15)], weight: 1.0,
               sitesPerCustomer: [(1, 0.5), (2, 0.3), (4, 0.2)]),
        Sector(names: ["{last} Industries", "Ateliers {last}", "{last} Mécanique"],
               departments: ["Production", "Bureau d'études", "Administration"],
               alwaysOpen: false, hours: (weekdays, "06:00", "22:00"),
               categoryWeights: [("copier_mfp", 2), ("printer", 3), ("server", 1.5), ("storage", 0.5), ("network", 1.5)],
               unitsPerSite: 6...14, downtimeCostPerHour: 100...400,
               criticality: [("critical", 0.05), ("high", 0.25), ("normal", 0.55), ("low", 0.15)], weight: 1.0,
               sitesPerCustomer: [(1, 0.7), (2, 0.3)]),
        Sector(names: ["Mutuelle {last}", "Assurances {last}", "Banque {last}"],
               departments: ["Agence", "Back-office"],
               alwaysOpen: false, hours: (weekdays, "08:30", "18:00"),
               categoryWeights: [("copier_mfp", 3), ("printer", 2), ("server", 0.5), ("network", 0.8)],
               unitsPerSite: 4...9, downtimeCostPerHour: 80...250,
               criticality: [("high", 0.2), ("normal", 0.7), ("low", 0.1)], weight: 0.8,
               sitesPerCustomer: [(1, 0.4), (3, 0.3), (6, 0.3)]),
        Sector(names: ["{last} Distribution", "Maison {last}"],
               departments: ["Magasin", "Réserve", "Bureau"],
               alwaysOpen: false, hours: (weekdays + ["sat"], "08:00", "20:00"),
               categoryWeights: [("printer", 3), ("copier_mfp", 1.5), ("network", 1), ("server", 0.5)],
               unitsPerSite: 4...8, downtimeCostPerHour: 40...150,
               criticality: [("high", 0.1), ("normal", 0.6), ("low", 0.3)], weight: 0.8,
               sitesPerCustomer: [(1, 0.6), (2, 0.25), (4, 0.15)]),
    ]
}
