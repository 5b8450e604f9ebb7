import FoundationEssentials

/// Coverage calendars from the registry's JSON: a contract's `coverage` and a vendor's `business_hours`.
extension CoverageCalendar {
    /// From a contract's `coverage` JSON and the site's time zone name; nil when malformed.
    ///
    /// `coverage` is `{"always": true}` (24×7) or
    /// `{"hours": [{"days": ["mon", …], "start": "08:00", "end": "17:00"}], "holidays": ["2026-12-25"]}`, read in the
    /// site's time zone. Holidays also apply to 24×7 coverage. Malformed means: not an object, a key other than these
    /// three, a value of the wrong type, an entry that is not valid weekly hours, a date that is not `YYYY-MM-DD`, hours
    /// given with `always` or neither given, or a time zone that does not exist.
    public init?(coverage: JSONValue, timeZoneIdentifier: String) {
        guard case .object(let fields) = coverage, Set(fields.keys).isSubset(of: ["always", "hours", "holidays"]),
            let timeZone = TimeZone(identifier: timeZoneIdentifier),
            let holidays = Self.dates(fields["holidays"] ?? .null)
        else { return nil }
        switch (fields["always"] ?? .null, fields["hours"] ?? .null) {
        case (.bool(true), .null), (.bool(true), .array([])):
            self.init(timeZone: timeZone, weekly: [.allDayEveryDay], holidays: holidays)
        case (.bool(false), let hours), (.null, let hours):
            guard let weekly = Self.weeklyHours(hours) else { return nil }
            self.init(timeZone: timeZone, weekly: weekly, holidays: holidays)
            guard coversSomeTime else { return nil }
        default:
            return nil
        }
    }

    /// From a vendor's `business_hours` JSON (weekly hours) and time zone name.
    ///
    /// - Parameters:
    ///   - businessHours: `[{"days": ["mon", …], "start": "08:00", "end": "17:00"}, …]` in the vendor's time zone.
    ///   - timeZoneIdentifier: The vendor's `time_zone`.
    ///   - holidays: Local days on which the vendor's clocks do not run.
    /// - Returns: `nil` when `businessHours` is not a list of valid weekly hours covering some day, or the time zone
    ///   does not exist.
    public init?(businessHours: JSONValue, timeZoneIdentifier: String, holidays: Set<CalendarDate> = []) {
        guard let timeZone = TimeZone(identifier: timeZoneIdentifier), let weekly = Self.weeklyHours(businessHours) else {
            return nil
        }
        self.init(timeZone: timeZone, weekly: weekly, holidays: holidays)
        guard coversSomeTime else { return nil }
    }

    /// Weekly hours from `[{"days": [...], "start": "HH:MM", "end": "HH:MM"}]`; `nil` when malformed.
    private static func weeklyHours(_ json: JSONValue) -> [WeeklyHours]? {
        guard case .array(let entries) = json else { return nil }
        var weekly: [WeeklyHours] = []
        for entry in entries {
            guard case .object(let fields) = entry, Set(fields.keys) == ["days", "start", "end"],
                case .array(let dayNames) = fields["days"],
                let start = fields["start"]?.stringValue.flatMap(TimeOfDay.init),
                let end = fields["end"]?.stringValue.flatMap(TimeOfDay.init)
            else { return nil }
            let days = dayNames.compactMap { $0.stringValue.flatMap(Weekday.init(rawValue:)) }
            guard days.count == dayNames.count, let hours = WeeklyHours(days: Set(days), start: start, end: end) else {
                return nil
            }
            weekly.append(hours)
        }
        return weekly
    }

    /// Dates from `["YYYY-MM-DD", …]`; no dates for `null`; `nil` when malformed.
    private static func dates(_ json: JSONValue) -> Set<CalendarDate>? {
        switch json {
        case .null:
            return []
        case .array(let items):
            let dates = items.compactMap { $0.stringValue.flatMap(CalendarDate.init) }
            return dates.count == items.count ? Set(dates) : nil
        default:
            return nil
        }
    }
}
