import FoundationEssentials
import FoundationInternationalization

/// A technician's working calendar from the registry's `calendar` JSON: weekly shifts, minus days of leave, plus
/// extra shifts on given dates, in the technician's time zone.
///
/// `{"weekly": [{"days": ["mon", …], "start": "08:00", "end": "17:00"}], "exceptions": [{"date": "2026-12-01",
/// "available": false, "reason": "leave"}, {"date": "2026-12-05", "available": true, "start": "09:00", "end": "13:00"}]}`
public struct WorkingCalendar: Sendable {
    /// The weekly shifts, without the exception dates.
    let weekly: CoverageCalendar
    /// Extra shifts on exception dates that are available with hours.
    let extraShifts: [(date: CalendarDate, start: TimeOfDay, end: TimeOfDay)]

    /// Reads a calendar; `nil` when malformed (the registry validates calendars before they are stored).
    /// - Parameters:
    ///   - calendar: the `calendar` JSON.
    ///   - timeZoneIdentifier: the technician's `time_zone`.
    public init?(calendar: JSONValue, timeZoneIdentifier: String) {
        guard case .object(let fields) = calendar, let timeZone = TimeZone(identifier: timeZoneIdentifier) else { return nil }
        var exceptionDates: Set<CalendarDate> = []
        var extraShifts: [(CalendarDate, TimeOfDay, TimeOfDay)] = []
        if case .array(let exceptions)? = fields["exceptions"] {
            for exception in exceptions {
                guard case .object(let entry) = exception, let date = entry["date"]?.stringValue.flatMap(CalendarDate.init) else { return nil }
                exceptionDates.insert(date)
                if entry["available"] == .bool(true), let start = entry["start"]?.stringValue.flatMap(TimeOfDay.init),
                   let end = entry["end"]?.stringValue.flatMap(TimeOfDay.init), end > start {
                    extraShifts.append((date, start, end))
                }
            }
        }
        guard let weekly = CoverageCalendar(businessHours: fields["weekly"] ?? .array([]), timeZoneIdentifier: timeZoneIdentifier,
                                            holidays: exceptionDates)
                ?? (extraShifts.isEmpty ? nil : CoverageCalendar(timeZone: timeZone, weekly: [], holidays: exceptionDates))
        else { return nil }
        self.weekly = weekly
        self.extraShifts = extraShifts
    }

    /// The shifts that overlap `[start, end)`, clipped to it, in order.
    public func shifts(from start: Date, to end: Date) -> [DateInterval] {
        var shifts = weekly.coveredIntervals(from: start, to: end)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = weekly.timeZone
        for extra in extraShifts {
            guard let midnight = calendar.date(from: DateComponents(year: extra.date.year, month: extra.date.month, day: extra.date.day)),
                  let from = calendar.date(byAdding: .minute, value: extra.start.minutes, to: midnight),
                  let to = calendar.date(byAdding: .minute, value: extra.end.minutes, to: midnight),
                  to > start, from < end
            else { continue }
            shifts.append(DateInterval(start: max(from, start), end: min(to, end)))
        }
        return shifts.sorted { $0.start < $1.start }
    }
}
