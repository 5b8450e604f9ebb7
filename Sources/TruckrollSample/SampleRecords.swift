import Foundation

/// The rows the generator makes, one struct per table, before they are loaded. A row's id is its index + 1 in
/// its array of ``SampleRows``.
enum SampleRecord {
    struct Customer {
        var code, name, contact: String
        var sector: Int
        var town: Int
    }

    struct Department {
        var customerID: Int
        var name, costCenter: String
    }

    struct Site {
        var code: String
        var customerID: Int
        var name, address: String
        var latitude, longitude: Double
        /// `access_hours`, or nil when always open.
        var accessHours: String?
        var contact: String
        var town: Int
        var departmentIDs: [Int]
        var location: (latitude: Double, longitude: Double) { (latitude, longitude) }
    }

    struct Part {
        var partNumber, description: String
        var unitCost: Decimal
        var customerReplaceable, defectiveReturn: Bool
    }

    struct Unit {
        var serialNumber: String
        var model: Int
        var siteID: Int
        var departmentID: Int?
        var installDay: Int
        var installDate: String
        var criticality: String
        var downtimeCostPerHour: Decimal?
        var contractID: Int?
        var pagesPerDay: Int
    }

    struct MeterReading {
        var unitID: Int
        var readAt: Date
        var pages: Int
        var source: String
    }

    struct Vendor {
        var code, name, businessHours, contact: String
    }

    struct VendorContract {
        var vendorID: Int
        var reference, supportLevel: String
        var responseHours: Decimal?
        var replacementHours: Decimal
        var defectiveReturnDays: Int?
        var validFrom, validTo: String
        var modelIDs: [Int]
    }

    struct Contract {
        var reference: String
        var customerID: Int
        var validFrom, validTo, coverage, targets: String
        var downtimeCostPerHour: Decimal
        var penaltyTerms: String?
        var coversParts: Bool
        var unitIDs: [Int]
    }

    struct Technician {
        var code, name, email, phone: String
        var latitude, longitude: Double
        var skills, calendar: String
        var overtimeMinutes: Int
        /// Level per ``SampleCatalogue/categories`` index; 0 without the skill.
        var levels: [Int]
        var shiftStart, shiftEnd: Int
        /// Days (relative to today) on leave.
        var leaveDays: Set<Int>
        var town: Int
        var location: (latitude: Double, longitude: Double) { (latitude, longitude) }
    }

    struct Depot {
        var code, name, address: String
        var latitude, longitude: Double
        var openingHours: String
    }

    struct Vehicle {
        var registration: String
        var technicianID: Int
        var depotID: Int
        var description: String
    }

    struct StockItem {
        var vehicleID: Int?
        var depotID: Int?
        var partID: Int
        var quantity: Int
    }

    struct User {
        var username, displayName, role: String
        var technicianID: Int?
        var vendorID: Int?
    }

    struct ServiceRequest {
        var version = 1
        var createdAt: Date
        var updatedAt: Date
        var unitID, siteID, customerID: Int
        var departmentID, contractID: Int?
        var reportedAt: Date
        var channel, callType, symptom: String
        var problemCode: String?
        var unitDown: Bool
        var priority: String
        var status = "new"
        var holdCode: String?
        var callbackOfID: Int?
        var resolutionCode, resolutionNotes: String?
        var firstOnSiteAt, restoredAt, closedAt: Date?
        var caller: String
    }

    struct Visit {
        var version = 1
        var createdAt, updatedAt: Date
        var serviceRequestID, technicianID: Int
        var plannedStart: Date
        var plannedMinutes: Int
        var status = "planned"
        var dispatchedAt, enRouteAt, arrivedAt, departedAt: Date?
        var outcome, incompleteCode: String?
        var meterPages: Int?
        var workNotes: String?
        var plannedEnd: Date { plannedStart.addingTimeInterval(Double(plannedMinutes) * 60) }
    }

    struct VisitPart {
        var visitID, partID, quantity, vehicleID: Int
        var unitCost: Decimal
        var usedAt: Date
    }

    struct RMA {
        var version = 1
        var createdAt, updatedAt: Date
        var vendorID, vendorContractID, unitID, serviceRequestID: Int
        var vendorCaseNumber: String
        var rmaNumber: String?
        var failedPartID, replacementPartID: Int
        var kind: String
        var status = "requested"
        var carrier, trackingNumber: String?
        var eta: Date?
        var destination: String?
        var destinationDepotID, destinationVehicleID: Int?
        var deliveredAt: Date?
        var defectiveDueOn: String?
        var defectiveReturnedAt: Date?
    }

    /// An `event` row, as `EventLog.append` writes it.
    struct Event {
        var at: Date
        /// Index + 1 of the acting user.
        var actorUserID: Int
        var entity: String
        var entityID: Int
        var kind: String
        var from, to: String?
        var reason: String?
        var data: String?
    }
}

/// Every row of the sample, table by table.
struct SampleRows {
    var customers: [SampleRecord.Customer] = []
    var departments: [SampleRecord.Department] = []
    var sites: [SampleRecord.Site] = []
    var parts: [SampleRecord.Part] = []
    /// Part id per model index and part role.
    var modelParts: [[String: Int]] = []
    var units: [SampleRecord.Unit] = []
    var meterReadings: [SampleRecord.MeterReading] = []
    var vendors: [SampleRecord.Vendor] = []
    var vendorContracts: [SampleRecord.VendorContract] = []
    var contracts: [SampleRecord.Contract] = []
    var technicians: [SampleRecord.Technician] = []
    var depots: [SampleRecord.Depot] = []
    var vehicles: [SampleRecord.Vehicle] = []
    var stock: [SampleRecord.StockItem] = []
    var users: [SampleRecord.User] = []
    var requests: [SampleRecord.ServiceRequest] = []
    var visits: [SampleRecord.Visit] = []
    var visitParts: [SampleRecord.VisitPart] = []
    var rmas: [SampleRecord.RMA] = []
    var events: [SampleRecord.Event] = []
}

extension SampleRows {
    /// The id of the depot closest to a point.
    func nearestDepot(to point: (latitude: Double, longitude: Double)) -> Int {
        let distances = depots.map { SampleGeography.kilometres(point, ($0.latitude, $0.longitude)) }
        return distances.indices.min { distances[$0] < distances[$1] }! + 1
    }
}
