/// What the sample business services: equipment categories with their skills, parts and typical faults, and the
/// models sold in the region. Fixed text: only the choice of units, sites and calls depends on the seed.
enum SampleCatalogue {
    /// A kind of equipment, with what it takes to repair it.
    struct Category: Sendable {
        /// The `equipment_model.category` value.
        let name: String
        /// The skill a technician needs for it (`technician.skills[].skill`).
        let skill: String
        /// How often a unit of this kind breaks, relative to the others.
        let failureWeight: Double
        /// Pages printed a day by a page-counting unit, when the category counts pages.
        let pagesPerDay: ClosedRange<Int>?
        let parts: [PartRole]
        let problems: [Problem]
    }

    /// A part every model of a category has its own version of (a fuser, a power supply).
    struct PartRole: Sendable {
        let role: String
        let description: String
        let unitCost: Double
        /// A customer-replaceable unit: vendors ship it to the site.
        let customerReplaceable: Bool
        /// The defective part goes back to the vendor.
        let defectiveReturn: Bool
    }

    /// A typical fault: its problem code, what callers say, the part that usually fixes it.
    struct Problem: Sendable {
        let code: String
        let symptom: String
        /// The `PartRole.role` usually fitted, or nil for an adjustment.
        let partRole: String?
        let weight: Double
        /// Share of calls tier 1 or tier 2 resolve over the phone.
        let remoteRate: Double
        let unitDown: Bool
        let fix: String
    }

    /// A model sold in the region.
    struct Model: Sendable {
        let code: String
        let manufacturer: String
        let name: String
        let category: Category
        let skillLevel: Int
        let repairMinutes: Int
        let pmIntervalDays: Int?
        let callbackDays: Int
        let faultCodes: [(code: String, description: String)]
        /// Share of the installed base, relative to the other models of its category.
        let popularity: Double
    }

    static let copier = Category(
        name: "copier_mfp", skill: "copier", failureWeight: 3.0, pagesPerDay: 150...2_500,
        parts: [
            PartRole(role: "FUSER", description: "fuser assembly", unitCost: 285, customerReplaceable: false, defectiveReturn: false),
            PartRole(role: "DRUM", description: "drum unit", unitCost: 190, customerReplaceable: false, defectiveReturn: false),
            PartRole(role: "ROLLER", description: "pick-up and feed roller kit", unitCost: 48, customerReplaceable: false, defectiveReturn: false),
            PartRole(role: "BELT", description: "intermediate transfer belt", unitCost: 240, customerReplaceable: false, defectiveReturn: false),
        ],
        problems: [
            Problem(code: "FUSER-ERR", symptom: "Fuser error on the panel, copier stopped", partRole: "FUSER", weight: 3,
                    remoteRate: 0.05, unitDown: true, fix: "Replaced the fuser assembly, test prints fine"),
            Problem(code: "PAPER-JAM", symptom: "Paper jams in tray 2 all the time", partRole: "ROLLER", weight: 4,
                    remoteRate: 0.1, unitDown: true, fix: "Replaced the pick-up rollers, cleaned the paper path"),
            Problem(code: "IMAGE-STREAKS", symptom: "Dark streaks along every copy", partRole: "DRUM", weight: 2.5,
                    remoteRate: 0.05, unitDown: false, fix: "Replaced the drum unit, calibrated"),
            Problem(code: "COLOR-SHIFT", symptom: "Colours misaligned, blurry prints", partRole: "BELT", weight: 1,
                    remoteRate: 0.05, unitDown: false, fix: "Replaced the transfer belt, ran registration"),
            Problem(code: "SCAN-TO-EMAIL", symptom: "Scan to e-mail fails since this morning", partRole: nil, weight: 2.5,
                    remoteRate: 0.7, unitDown: false, fix: "SMTP settings corrected"),
        ]
    )

    static let printer = Category(
        name: "printer", skill: "printer", failureWeight: 2.0, pagesPerDay: 50...900,
        parts: [
            PartRole(role: "FUSER", description: "fuser kit", unitCost: 165, customerReplaceable: false, defectiveReturn: false),
            PartRole(role: "ROLLER", description: "tray roller kit", unitCost: 32, customerReplaceable: true, defectiveReturn: false),
            PartRole(role: "FORMATTER", description: "formatter board", unitCost: 265, customerReplaceable: false, defectiveReturn: true),
        ],
        problems: [
            Problem(code: "FUSER-ERR", symptom: "Printer shows a fuser error", partRole: "FUSER", weight: 3,
                    remoteRate: 0.05, unitDown: true, fix: "Replaced the fuser kit"),
            Problem(code: "PAPER-JAM", symptom: "Paper jams at the input tray", partRole: "ROLLER", weight: 4,
                    remoteRate: 0.15, unitDown: true, fix: "Replaced the tray rollers"),
            Problem(code: "NO-NETWORK", symptom: "Nobody can print, printer not on the network", partRole: "FORMATTER", weight: 1.5,
                    remoteRate: 0.4, unitDown: true, fix: "Replaced the formatter board, restored the configuration"),
            Problem(code: "DRIVER", symptom: "Prints come out garbled from one application", partRole: nil, weight: 1.5,
                    remoteRate: 0.8, unitDown: false, fix: "Driver updated on the print server"),
        ]
    )

    static let server = Category(
        name: "server", skill: "server", failureWeight: 0.8, pagesPerDay: nil,
        parts: [
            PartRole(role: "PSU", description: "800 W power supply", unitCost: 310, customerReplaceable: false, defectiveReturn: true),
            PartRole(role: "DISK", description: "1.92 TB SAS SSD", unitCost: 540, customerReplaceable: false, defectiveReturn: true),
            PartRole(role: "DIMM", description: "32 GB DDR5 RDIMM", unitCost: 185, customerReplaceable: false, defectiveReturn: true),
            PartRole(role: "FAN", description: "hot-plug fan module", unitCost: 65, customerReplaceable: false, defectiveReturn: false),
        ],
        problems: [
            Problem(code: "PSU-FAIL", symptom: "Power supply LED amber, running on one PSU", partRole: "PSU", weight: 2,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the failed power supply"),
            Problem(code: "DISK-FAIL", symptom: "RAID degraded, a disk reported failed", partRole: "DISK", weight: 3,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the disk, rebuild completed"),
            Problem(code: "MEM-ECC", symptom: "Uncorrectable memory errors, server rebooted", partRole: "DIMM", weight: 1.5,
                    remoteRate: 0.05, unitDown: true, fix: "Replaced the faulty DIMM, memory test passed"),
            Problem(code: "FAN-FAIL", symptom: "Fan failure alert, temperature rising", partRole: "FAN", weight: 1,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the fan module"),
            Problem(code: "NO-BOOT", symptom: "Server does not boot after maintenance", partRole: nil, weight: 1,
                    remoteRate: 0.35, unitDown: true, fix: "Boot order and firmware settings restored"),
        ]
    )

    static let storage = Category(
        name: "storage", skill: "storage", failureWeight: 0.8, pagesPerDay: nil,
        parts: [
            PartRole(role: "DISK", description: "3.84 TB NVMe drive", unitCost: 690, customerReplaceable: true, defectiveReturn: true),
            PartRole(role: "CTRL", description: "storage controller", unitCost: 3_850, customerReplaceable: false, defectiveReturn: true),
            PartRole(role: "PSU", description: "power supply unit", unitCost: 460, customerReplaceable: false, defectiveReturn: true),
        ],
        problems: [
            Problem(code: "DISK-FAIL", symptom: "Drive failed, array running degraded", partRole: "DISK", weight: 4,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the drive, reconstruction finished"),
            Problem(code: "CTRL-FAIL", symptom: "Controller down, running on the partner controller", partRole: "CTRL", weight: 1,
                    remoteRate: 0.0, unitDown: true, fix: "Replaced the controller, failback done"),
            Problem(code: "PSU-FAIL", symptom: "Shelf power supply fault", partRole: "PSU", weight: 1.5,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the power supply"),
            Problem(code: "PERF", symptom: "Very slow volumes since the weekend", partRole: nil, weight: 1,
                    remoteRate: 0.6, unitDown: false, fix: "Snapshot schedule and QoS corrected"),
        ]
    )

    static let network = Category(
        name: "network", skill: "network", failureWeight: 0.5, pagesPerDay: nil,
        parts: [
            PartRole(role: "PSU", description: "715 W power supply", unitCost: 280, customerReplaceable: false, defectiveReturn: true),
            PartRole(role: "FAN", description: "fan tray", unitCost: 75, customerReplaceable: false, defectiveReturn: false),
            PartRole(role: "SFP", description: "10G SFP+ SR transceiver", unitCost: 95, customerReplaceable: false, defectiveReturn: false),
        ],
        problems: [
            Problem(code: "PSU-FAIL", symptom: "Switch power supply failed", partRole: "PSU", weight: 2,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the power supply"),
            Problem(code: "PORT-DOWN", symptom: "Uplink down, a whole floor without network", partRole: "SFP", weight: 2,
                    remoteRate: 0.2, unitDown: true, fix: "Replaced the uplink transceiver"),
            Problem(code: "FAN-FAIL", symptom: "Fan tray alarm", partRole: "FAN", weight: 1,
                    remoteRate: 0.0, unitDown: false, fix: "Replaced the fan tray"),
            Problem(code: "CONFIG", symptom: "VLAN missing after a change", partRole: nil, weight: 2,
                    remoteRate: 0.85, unitDown: false, fix: "Configuration restored from backup"),
        ]
    )

    static let categories = [copier, printer, server, storage, network]

    static let models: [Model] = [
        Model(code: "CANON-C5860I", manufacturer: "Canon", name: "imageRUNNER ADVANCE DX C5860i", category: copier, skillLevel: 2,
              repairMinutes: 75, pmIntervalDays: 180, callbackDays: 30,
              faultCodes: [("E000", "Fuser temperature error"), ("E012", "Drum motor error")], popularity: 3),
        Model(code: "RICOH-IMC4500", manufacturer: "Ricoh", name: "IM C4500", category: copier, skillLevel: 2,
              repairMinutes: 60, pmIntervalDays: 180, callbackDays: 30,
              faultCodes: [("SC542", "Fusing temperature warm-up error")], popularity: 3),
        Model(code: "KM-C450I", manufacturer: "Konica Minolta", name: "bizhub C450i", category: copier, skillLevel: 2,
              repairMinutes: 70, pmIntervalDays: 180, callbackDays: 30,
              faultCodes: [("C3425", "Fusing warm-up trouble")], popularity: 2),
        Model(code: "XEROX-C8170", manufacturer: "Xerox", name: "AltaLink C8170", category: copier, skillLevel: 3,
              repairMinutes: 90, pmIntervalDays: 120, callbackDays: 30,
              faultCodes: [("010-327", "Fuser failed to warm up")], popularity: 1),
        Model(code: "HP-M611", manufacturer: "HP", name: "LaserJet Enterprise M611dn", category: printer, skillLevel: 1,
              repairMinutes: 40, pmIntervalDays: 365, callbackDays: 30,
              faultCodes: [("50.2", "Fuser warm-up error")], popularity: 3),
        Model(code: "LEXMARK-MS826", manufacturer: "Lexmark", name: "MS826de", category: printer, skillLevel: 1,
              repairMinutes: 35, pmIntervalDays: 365, callbackDays: 30,
              faultCodes: [("121.xx", "Fuser error")], popularity: 2),
        Model(code: "HPE-DL380G11", manufacturer: "HPE", name: "ProLiant DL380 Gen11", category: server, skillLevel: 3,
              repairMinutes: 90, pmIntervalDays: 365, callbackDays: 14,
              faultCodes: [("IML-PSU", "Power supply failure in the Integrated Management Log")], popularity: 3),
        Model(code: "DELL-R760", manufacturer: "Dell", name: "PowerEdge R760", category: server, skillLevel: 2,
              repairMinutes: 80, pmIntervalDays: 365, callbackDays: 14,
              faultCodes: [("PSU0003", "Power supply lost input")], popularity: 2),
        Model(code: "NETAPP-A250", manufacturer: "NetApp", name: "AFF A250", category: storage, skillLevel: 3,
              repairMinutes: 120, pmIntervalDays: 365, callbackDays: 14,
              faultCodes: [("DISK.FAILED", "Disk failed")], popularity: 1),
        Model(code: "DELL-ME5024", manufacturer: "Dell", name: "PowerVault ME5024", category: storage, skillLevel: 2,
              repairMinutes: 100, pmIntervalDays: 365, callbackDays: 14,
              faultCodes: [("EV-0062", "Disk failure")], popularity: 2),
        Model(code: "CISCO-C9300", manufacturer: "Cisco", name: "Catalyst 9300-48P", category: network, skillLevel: 2,
              repairMinutes: 45, pmIntervalDays: nil, callbackDays: 14,
              faultCodes: [("PLATFORM-3-PWR", "Power supply failure")], popularity: 2),
        Model(code: "ARUBA-6300M", manufacturer: "HPE Aruba", name: "CX 6300M 48G", category: network, skillLevel: 1,
              repairMinutes: 40, pmIntervalDays: nil, callbackDays: 14,
              faultCodes: [("PSU-FAULT", "Power supply fault")], popularity: 1),
    ]

    /// A vendor backing some of the models.
    struct Vendor: Sendable {
        let code: String
        let name: String
        let email: String
        /// Business hours as `(days, start, end)`.
        let hours: (days: [String], start: String, end: String)
        let contracts: [VendorContract]
    }

    /// A vendor's commitment on some models.
    struct VendorContract: Sendable {
        let reference: String
        let supportLevel: String
        let responseHours: Double?
        let replacementHours: Double
        let defectiveReturnDays: Int?
        let modelCodes: [String]
    }

    static let weekdays = ["mon", "tue", "wed", "thu", "fri"]

    static let vendors: [Vendor] = [
        Vendor(code: "CANON-FR", name: "Canon France", email: "service.partners@canon.example",
               hours: (weekdays, "08:00", "18:00"), contracts: [
                   VendorContract(reference: "CPN-PARTS-114", supportLevel: "parts_next_business_day", responseHours: nil,
                                  replacementHours: 9, defectiveReturnDays: nil, modelCodes: ["CANON-C5860I"]),
               ]),
        Vendor(code: "HPE-FR", name: "HPE Pointnext", email: "support@hpe.example",
               hours: (weekdays + ["sat", "sun"], "00:00", "24:00"), contracts: [
                   VendorContract(reference: "HPE-FC-88731", supportLevel: "onsite_4h", responseHours: 4,
                                  replacementHours: 4, defectiveReturnDays: 15, modelCodes: ["HPE-DL380G11"]),
                   VendorContract(reference: "HPE-AX-2291", supportLevel: "advance_exchange", responseHours: nil,
                                  replacementHours: 9, defectiveReturnDays: 10, modelCodes: ["ARUBA-6300M"]),
               ]),
        Vendor(code: "DELL-FR", name: "Dell Technologies France", email: "prosupport@dell.example",
               hours: (weekdays, "08:00", "19:00"), contracts: [
                   VendorContract(reference: "DELL-PS-50412", supportLevel: "parts_next_business_day", responseHours: 2,
                                  replacementHours: 11, defectiveReturnDays: 10, modelCodes: ["DELL-R760", "DELL-ME5024"]),
               ]),
        Vendor(code: "TDSYNNEX-FR", name: "TD SYNNEX France", email: "rma@tdsynnex.example",
               hours: (weekdays, "09:00", "17:30"), contracts: [
                   VendorContract(reference: "TDS-AE-7781", supportLevel: "advance_exchange", responseHours: nil,
                                  replacementHours: 8.5, defectiveReturnDays: 10, modelCodes: ["CISCO-C9300", "NETAPP-A250"]),
               ]),
    ]
}
