import Testing
import TruckrollDomain

/// Field validation and cross-field rules, without a database.
@Suite struct ValidationTests {
    let sites = Registry.resource(named: "sites")!
    let contracts = Registry.resource(named: "contracts")!
    let technicians = Registry.resource(named: "technicians")!

    @Test func datesTimesAndZones() {
        #expect(CalendarDate("2024-02-29") != nil)
        #expect(CalendarDate("2026-02-29") == nil)
        #expect(CalendarDate("2026-13-01") == nil)
        #expect(CalendarDate("26-01-01") == nil)
        #expect(CalendarDate("2026-01-05")?.description == "2026-01-05")
        #expect(TimeOfDay("24:00")?.minutes == 1440)
        #expect(TimeOfDay("24:01") == nil && TimeOfDay("7:00") == nil && TimeOfDay("07:60") == nil)
        #expect(Timestamp.parse("2026-11-30T08:15:00Z") != nil)
        #expect(Timestamp.parse("2026-11-30T08:15:00.250+01:00") != nil)
        #expect(Timestamp.parse("2026-11-30 08:15") == nil)
        #expect(FieldType.timeZone.problems(with: "Europe/Paris", at: "tz").isEmpty)
        #expect(FieldType.timeZone.problems(with: "UTC", at: "tz").isEmpty)
        #expect(!FieldType.timeZone.problems(with: "Europe/Atlantis", at: "tz").isEmpty)
    }

    @Test func everyProblemOfACreateIsNamed() {
        let errors = sites.validateCreate([
            "code": "has space", "customer_id": 0, "name": "  ", "latitude": 90.5, "longitude": "east",
            "time_zone": "Nowhere/Place", "colour": "red",
            "access_hours": [["days": ["mon", "funday"], "start": "09:00", "end": "08:00"]],
        ])
        let fields = Set(errors.map(\.field))
        #expect(fields == ["code", "customer_id", "name", "latitude", "longitude", "time_zone", "colour", "address",
                           "access_hours[0].days[1]"])
    }

    @Test func crossFieldRulesRunOnValidRecords() {
        var site: JSONObject = [
            "code": "HQ", "customer_id": 1, "name": "HQ", "address": "1 Main St", "latitude": 45.5, "longitude": 4.8,
            "time_zone": "Europe/Paris", "access_hours": [["days": ["mon"], "start": "09:00", "end": "08:00"]],
        ]
        #expect(sites.validateCreate(site).map(\.field) == ["access_hours[0].end"])
        site["access_hours"] = [["days": ["mon"], "start": "08:00", "end": "17:30"]]
        #expect(sites.validateCreate(site).isEmpty)

        let contract: JSONObject = [
            "reference": "SC-1", "customer_id": 1, "valid_from": "2026-01-01", "valid_to": "2025-12-31",
            "coverage": ["always": true, "hours": [["days": ["mon"], "start": "08:00", "end": "17:00"]]],
            "targets": ["P1": ["response_minutes": 240, "restore_minutes": 120]],
        ]
        #expect(Set(contracts.validateCreate(contract).map(\.field)) == ["valid_to", "coverage.hours", "targets.P1.restore_minutes"])
    }

    @Test func mergePatchesReplaceAndClearAndAreCheckedWhole() throws {
        let current: JSONObject = [
            "id": 3, "version": 2, "code": "T-1", "name": "Ann", "home_latitude": 45, "home_longitude": 4, "time_zone": "Europe/Paris",
            "email": "ann@example.com",
            "calendar": ["weekly": [["days": ["mon"], "start": "08:00", "end": "17:00"]]],
        ]
        let patched = try technicians.applyPatch(["email": .null, "name": "Ann Smith", "id": 99], to: current).get()
        #expect(patched["email"] == .null && patched["name"] == "Ann Smith" && patched["id"] == 3)
        let leave: JSONObject = ["calendar": ["weekly": [["days": ["mon"], "start": "08:00", "end": "17:00"]],
                                              "exceptions": [["date": "2026-12-24", "available": true]]]]
        guard case .failure(let failure) = technicians.applyPatch(leave, to: current) else {
            Issue.record("an available exception day without hours was accepted")
            return
        }
        #expect(failure.errors.map(\.field) == ["calendar.exceptions[0].start"])
        guard case .failure(let required) = technicians.applyPatch(["name": .null], to: current) else {
            Issue.record("clearing a required field was accepted")
            return
        }
        #expect(required.errors.map(\.field) == ["name"])
    }

    @Test func textValuesAreTypedByTheirField() {
        #expect(FieldType.boolean.jsonValue(fromText: "yes") == .success(.bool(true)))
        #expect(FieldType.integer(0...10).jsonValue(fromText: " 7 ") == .success(.number(7)))
        #expect(FieldType.references(to: "units").jsonValue(fromText: "1; 2") == .success(.array([1, 2])))
        #expect(FieldType.text(maxLength: 10).jsonValue(fromText: "") == .success(nil))
        guard case .failure = FieldType.decimal(0...1, fractionDigits: 2).jsonValue(fromText: "lots") else {
            Issue.record("a word was taken for a number")
            return
        }
    }

    @Test func everyResourceHasAccessRulesAndUniqueFieldNames() {
        for resource in Registry.resources {
            #expect(Set(resource.fields.map(\.name)).count == resource.fields.count, "\(resource.name) repeats a field")
            #expect(resource.access.read[.admin] == .all && resource.access.write[.admin] == .all)
            #expect(resource.access.write[.manager] != .all, "managers change nothing but their own tokens")
            for filter in resource.filters { #expect(resource.field(filter.field) != nil, "\(resource.name) filters on \(filter.field)") }
        }
    }
}
