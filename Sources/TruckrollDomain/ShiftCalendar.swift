import FoundationEssentials

/// A technician's working time: weekly shifts in their time zone, minus days off, plus extra shifts on given days
/// (the registry's technician `calendar`).
public struct ShiftCalendar: Sendable {
    /// The weekly shifts, with every exception day taken out.
    private let weekly: CoverageCalendar
    /// Days with an extra or different shift, each as a calendar that covers those hours every day, and the day's span.
    private let extraShifts: [(day: DateInterval, hours: CoverageCalendar)]
    private let gregorian: Calendar

    /// From a technician's `calendar` JSON and time zone name; nil when malformed.
    ///
    /// `calendar` is `{"weekly": [{"days": [...], "start": "08:00", "end": "17:00"}], "exceptions": [{"date":
    /// "2026-12-24", "available": false}, {"date": "2026-12-27", "available": true, "start": "09:00", "end": "13:00"}]}`:
    /// an exception day replaces that day's weekly hours, by nothing (a day off) or by its own hours.
    public init?(calendar: JSONValue, timeZoneIdentifier: String) {
        guard case .object(let fields) = calendar, let timeZone = TimeZone(identifier: timeZoneIdentifier),
              case .array(let weeklyJSON)? = fields["weekly"] else { return nil }
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        var exceptionDays: Set<CalendarDate> = []
        var extraShifts: [(DateInterval, CoverageCalendar)] = []
        if case .array(let exceptions)? = fields["exceptions"] {
            for case .object(let exception) in exceptions {
                guard let date = exception["date"]?.stringValue.flatMap(CalendarDate.init) else { return nil }
                exceptionDays.insert(date)
                guard exception["available"] == .bool(true) else { continue }
                guard let start = exception["start"]?.stringValue.flatMap(TimeOfDay.init),
                      let end = exception["end"]?.stringValue.flatMap(TimeOfDay.init),
                      let hours = WeeklyHours(days: Set(Weekday.allCases), start: start, end: end),
                      let dayStart = gregorian.date(from: DateComponents(year: date.year, month: date.month, day: date.day)),
                      let dayEnd = gregorian.date(byAdding: .day, value: 1, to: dayStart)
                else { return nil }
                extraShifts.append((DateInterval(start: dayStart, end: dayEnd), CoverageCalendar(timeZone: timeZone, weekly: [hours], holidays: [])))
            }
        }
        guard let weekly = CoverageCalendar(businessHours: .array(weeklyJSON), timeZoneIdentifier: timeZoneIdentifier, holidays: exceptionDays)
        else { return nil }
        self.weekly = weekly
        self.extraShifts = extraShifts
        self.gregorian = gregorian
    }

    /// Shift minutes between two instants (0 if `end` <= `start`), not counting the time in `busy`.
    /// - Complexity: O(d × w + b × k) for d local days, w weekly entries and b busy intervals spanning k days each.
    public func minutes(from start: Date, to end: Date, excluding busy: [DateInterval] = []) -> Double {
        CoverageCalendar.merged(busy).reduce(shiftMinutes(from: start, to: end)) { total, interval in
            total - shiftMinutes(from: max(start, interval.start), to: min(end, interval.end))
        }
    }

    private func shiftMinutes(from start: Date, to end: Date) -> Double {
        extraShifts.reduce(weekly.coveredMinutes(from: start, to: end)) { total, extra in
            total + extra.hours.coveredMinutes(from: max(start, extra.day.start), to: min(end, extra.day.end))
        }
    }

    /// How many local days between two instants have some shift time inside them.
    public func workingDays(from start: Date, to end: Date) -> Int {
        var days = 0
        var day = gregorian.startOfDay(for: start)
        while day < end, let next = gregorian.date(byAdding: .day, value: 1, to: day) {
            if minutes(from: max(start, day), to: min(end, next)) > 0 { days += 1 }
            day = next
        }
        return days
    }
}
