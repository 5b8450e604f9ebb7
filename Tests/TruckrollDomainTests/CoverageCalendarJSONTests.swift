import FoundationEssentials
import Testing
import TruckrollDomain

/// Coverage calendars from a contract's `coverage` and a vendor's `business_hours` JSON.
@Suite struct CoverageCalendarJSONTests {
    let officeHoursJSON: JSONValue = [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"]]

    @Test func weeklyHoursWithHolidays() throws {
        let coverage: JSONValue = ["hours": officeHoursJSON, "holidays": ["2026-12-25"]]
        let calendar = try #require(CoverageCalendar(coverage: coverage, timeZoneIdentifier: "America/New_York"))
        #expect(calendar.weekly == [hours(Weekday.workingWeek, "08:00", "17:00")])
        #expect(calendar.holidays == [CalendarDate("2026-12-25")!])
        #expect(calendar.timeZone.identifier == "America/New_York")
        #expect(calendar.due(after: instant("2026-12-24T16:00-05:00"), coveredMinutes: 240) == instant("2026-12-28T11:00-05:00"))
        let explicitlyNotAlways: JSONValue = ["always": false, "hours": officeHoursJSON, "holidays": .null]
        #expect(CoverageCalendar(coverage: explicitlyNotAlways, timeZoneIdentifier: "America/New_York")?.weekly == calendar.weekly)
    }

    @Test func always() throws {
        let calendar = try #require(CoverageCalendar(coverage: ["always": true], timeZoneIdentifier: "Asia/Tokyo"))
        #expect(calendar.due(after: instant("2026-12-05T10:00+09:00"), coveredMinutes: 240) == instant("2026-12-05T14:00+09:00"))
        #expect(CoverageCalendar(coverage: ["always": true, "hours": []], timeZoneIdentifier: "UTC") != nil)
        // Listed holidays are not covered, even 24×7.
        let withHoliday = try #require(
            CoverageCalendar(coverage: ["always": true, "holidays": ["2026-12-25"]], timeZoneIdentifier: "Asia/Tokyo"))
        #expect(withHoliday.due(after: instant("2026-12-24T23:00+09:00"), coveredMinutes: 120) == instant("2026-12-26T01:00+09:00"))
    }

    @Test(arguments: [
        "24x7", [], [:], ["always": false], ["always": "yes"], ["always": 1], ["hours": []], ["hours": "08:00-17:00"],
        ["always": true, "hours": [["days": ["mon"], "start": "08:00", "end": "17:00"]]],
        ["hours": [["days": [], "start": "08:00", "end": "17:00"]]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "17:00"]], "time_zone": "UTC"],
        ["hours": [["days": ["funday"], "start": "08:00", "end": "17:00"]]],
        ["hours": [["days": [1], "start": "08:00", "end": "17:00"]]],
        ["hours": [["days": "mon", "start": "08:00", "end": "17:00"]]],
        ["hours": [["days": ["mon"], "start": "8:00", "end": "17:00"]]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "17:60"]]],
        ["hours": [["days": ["mon"], "start": "17:00", "end": "08:00"]]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "08:00"]]],
        ["hours": [["days": ["mon"], "start": "08:00"]]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "17:00", "break": "12:00"]]],
        ["hours": ["mon 08:00-17:00"]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "17:00"]], "holidays": ["2026-02-30"]],
        ["hours": [["days": ["mon"], "start": "08:00", "end": "17:00"]], "holidays": "2026-12-25"],
    ] as [JSONValue])
    func malformedCoverageIsRejected(coverage: JSONValue) {
        #expect(CoverageCalendar(coverage: coverage, timeZoneIdentifier: "Europe/Paris") == nil)
    }

    @Test func unknownTimeZonesAreRejected() {
        #expect(CoverageCalendar(coverage: ["always": true], timeZoneIdentifier: "Europe/Atlantis") == nil)
        #expect(CoverageCalendar(businessHours: officeHoursJSON, timeZoneIdentifier: "") == nil)
    }

    @Test func vendorBusinessHours() throws {
        let christmas: Set<CalendarDate> = [CalendarDate("2026-12-25")!]
        let vendor = try #require(
            CoverageCalendar(businessHours: officeHoursJSON, timeZoneIdentifier: "America/New_York", holidays: christmas))
        #expect(vendor.holidays == christmas)
        #expect(vendor.due(after: instant("2026-12-24T16:00-05:00"), coveredMinutes: 240) == instant("2026-12-28T11:00-05:00"))
        let split: JSONValue = [
            ["days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "12:00"],
            ["days": ["mon", "tue", "wed", "thu", "fri"], "start": "13:00", "end": "17:00"],
            ["days": ["sat"], "start": "09:00", "end": "12:00"],
        ]
        let withLunch = try #require(CoverageCalendar(businessHours: split, timeZoneIdentifier: "Europe/Paris"))
        #expect(withLunch.due(after: instant("2026-12-04T11:00+01:00"), coveredMinutes: 360) == instant("2026-12-05T10:00+01:00"))
    }

    @Test(arguments: [[], ["always": true], "mon-fri", [["days": ["mon"], "start": "08:00"]]] as [JSONValue])
    func malformedBusinessHoursAreRejected(businessHours: JSONValue) {
        #expect(CoverageCalendar(businessHours: businessHours, timeZoneIdentifier: "Europe/Paris") == nil)
    }
}
