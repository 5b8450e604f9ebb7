import FoundationEssentials
// Time zone rules (DST offsets) need the time zone database, which on Linux lives in FoundationInternationalization:
// with FoundationEssentials alone, `TimeZone(identifier: "Europe/Paris")` is nil. Importing it here links it into
// every program using this module; full Foundation is not needed.
import FoundationInternationalization
import Synchronization

/// A day of the week, written as in the registry's weekly hours (`"mon"` … `"sun"`).
public enum Weekday: String, Sendable, Hashable, CaseIterable {
    /// Monday to Sunday; the order matters to ``CoverageCalendar``, which counts days from a Thursday.
    case monday = "mon", tuesday = "tue", wednesday = "wed", thursday = "thu", friday = "fri", saturday = "sat", sunday = "sun"

    /// Monday to Friday.
    public static let workingWeek: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
}

/// Hours covered on some weekdays, from `start` to `end` local time (`end` may be 24:00, the end of the day).
public struct WeeklyHours: Sendable, Hashable {
    /// The weekdays these hours apply to.
    public let days: Set<Weekday>
    /// When coverage starts, local time.
    public let start: TimeOfDay
    /// When coverage ends, local time; after `start`.
    public let end: TimeOfDay

    /// Hours from `start` to `end` on each of `days`; `nil` unless `end` is after `start`.
    public init?(days: Set<Weekday>, start: TimeOfDay, end: TimeOfDay) {
        guard end > start else { return nil }
        self.days = days
        self.start = start
        self.end = end
    }

    /// 00:00 to 24:00 on every day.
    static let allDayEveryDay = WeeklyHours(days: Set(Weekday.allCases), start: TimeOfDay("00:00")!, end: TimeOfDay("24:00")!)!
}

/// When SLA clocks run: weekly hours in a time zone, minus holidays; or always (24×7).
///
/// An instant is covered when its local wall-clock time falls inside its local date's hours, and covered time is
/// counted in real elapsed minutes. So on the day clocks go forward the skipped hour is never covered (hours of
/// 02:30–05:00 cover two real hours in Paris on 29 March 2026), and on the day they go back the repeated hour is
/// covered twice when inside the hours (a 24×7 day then lasts 25 hours).
///
/// Offsets come from `TimeZone.secondsFromGMT(for:)` and `nextDaylightSavingTimeTransition(after:)`, which read the
/// time zone database: on Linux that needs FoundationInternationalization, which is why this file imports it.
public struct CoverageCalendar: Sendable {
    /// The time zone the weekly hours and holidays are read in.
    public let timeZone: TimeZone
    /// Covered hours per weekday; overlapping entries are covered once.
    public let weekly: [WeeklyHours]
    /// Whole local days that are not covered.
    public let holidays: Set<CalendarDate>
    /// The holidays as ``LocalDay`` numbers.
    private let holidayNumbers: Set<Int>
    /// Each local day's covered intervals once computed: the time zone lookups behind them are the costly part, and
    /// reports ask a calendar about the same days for thousands of calls. Shared by copies of this calendar.
    private let days = DayCache()

    /// Coverage during `weekly` hours in `timeZone`, except on `holidays`.
    /// A calendar with no weekly hours never covers any time: its ``due(after:coveredMinutes:pauses:)`` is `.distantFuture`.
    public init(timeZone: TimeZone, weekly: [WeeklyHours], holidays: Set<CalendarDate>) {
        self.timeZone = timeZone
        self.weekly = weekly
        self.holidays = holidays
        self.holidayNumbers = Set(holidays.map(\.daysSince1970))
    }

    /// Coverage at every minute of every day (24×7).
    /// - Parameter timeZone: The zone holidays would be read in; it does not change what is covered.
    public static func always(timeZone: TimeZone) -> CoverageCalendar {
        CoverageCalendar(timeZone: timeZone, weekly: [.allDayEveryDay], holidays: [])
    }

    /// Whether any time at all is covered.
    var coversSomeTime: Bool { weekly.contains { !$0.days.isEmpty } }

    /// The instant at which `minutes` of covered time have elapsed after `start`, not counting `pauses`
    /// (intervals during which the clock is stopped, e.g. waiting for the customer).
    ///
    /// A start outside coverage counts from the next covered minute; the result is the earliest instant at which the
    /// time has elapsed, so a target that fills a day to its closing time is due at closing time.
    /// - Parameters:
    ///   - start: When the clock starts, e.g. when the call was logged.
    ///   - coveredMinutes: The target in covered minutes; zero or less is due at `start`.
    ///   - pauses: When the clock is stopped; they may overlap each other and uncovered time.
    /// - Returns: The due instant, or `.distantFuture` when the calendar covers no time.
    /// - Complexity: O(p log p + d × (w log w + p)) for d local days until the due time, w weekly entries, p pauses.
    public func due(after start: Date, coveredMinutes minutes: Int, pauses: [DateInterval] = []) -> Date {
        var remainingSeconds = Double(minutes) * 60
        guard remainingSeconds > 0 else { return start }
        guard coversSomeTime else { return .distantFuture }
        let stops = Self.merged(pauses)
        var day = localDay(containing: start)
        while true {
            for piece in runningPieces(of: day, from: start, stops: stops) {
                if piece.duration >= remainingSeconds { return piece.start.addingTimeInterval(remainingSeconds) }
                remainingSeconds -= piece.duration
            }
            day += 1
        }
    }

    /// Covered minutes between two instants (0 if `end` <= `start`), not counting `pauses`.
    /// - Complexity: O(p log p + d × (w log w + p)) for d local days between the instants, w weekly entries, p pauses.
    public func coveredMinutes(from start: Date, to end: Date, pauses: [DateInterval] = []) -> Double {
        guard end > start else { return 0 }
        let stops = Self.merged(pauses)
        var seconds = 0.0
        for day in stride(from: localDay(containing: start), through: localDay(containing: end), by: 1) {
            for piece in runningPieces(of: day, from: start, stops: stops) where piece.start < end {
                seconds += min(piece.end, end).timeIntervalSince(piece.start)
            }
        }
        return seconds / 60
    }

    /// The covered intervals that overlap `[start, end)`, clipped to it, in order and without overlaps.
    /// - Complexity: O(d × w log w) for d local days between the instants and w weekly entries.
    public func coveredIntervals(from start: Date, to end: Date) -> [DateInterval] {
        guard end > start else { return [] }
        var result: [DateInterval] = []
        for day in stride(from: localDay(containing: start), through: localDay(containing: end), by: 1) {
            for covered in coveredIntervals(of: day) where covered.end > start && covered.start < end {
                result.append(DateInterval(start: max(covered.start, start), end: min(covered.end, end)))
            }
        }
        return Self.merged(result)
    }

    // MARK: local days

    /// A local date, as the number of days since 1970-01-01 (a Thursday).
    private typealias LocalDay = Int

    private static let secondsPerDay = 86_400.0

    /// The local date of `instant`.
    private func localDay(containing instant: Date) -> LocalDay {
        let localSeconds = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        return LocalDay((localSeconds / Self.secondsPerDay).rounded(.down))
    }

    /// The covered intervals of `day`, in order and without overlaps.
    private func coveredIntervals(of day: LocalDay) -> [DateInterval] {
        if let known = days.intervals.withLock({ $0[day] }) { return known }
        let intervals = computeCoveredIntervals(of: day)
        days.intervals.withLock { $0[day] = intervals }
        return intervals
    }

    private func computeCoveredIntervals(of day: LocalDay) -> [DateInterval] {
        guard !holidayNumbers.contains(day) else { return [] }
        let weekday = Weekday.allCases[((day + 3) % 7 + 7) % 7]  // day 0 is a Thursday, index 3
        let midnight = Double(day) * Self.secondsPerDay
        let intervals = weekly.filter { $0.days.contains(weekday) }.flatMap {
            instants(atLocalSeconds: midnight + Double($0.start.minutes * 60)..<midnight + Double($0.end.minutes * 60))
        }
        return Self.merged(intervals)
    }

    /// The instants whose local time, as seconds since 1970-01-01T00:00 local, is in `window`; in order.
    ///
    /// Walks the spans of constant UTC offset around the window: each span shows a slice of local time, and the slice's
    /// overlap with the window, shifted back by the span's offset, is covered.
    private func instants(atLocalSeconds window: Range<Double>) -> [DateInterval] {
        var intervals: [DateInterval] = []
        // No offset is a day or more from UTC, so the spans from a day before to a day after hold every such instant.
        var spanStart = Date(timeIntervalSince1970: window.lowerBound - Self.secondsPerDay)
        let walkEnd = Date(timeIntervalSince1970: window.upperBound + Self.secondsPerDay)
        while spanStart < walkEnd {
            let offset = Double(timeZone.secondsFromGMT(for: spanStart))
            let spanEnd = min(timeZone.nextDaylightSavingTimeTransition(after: spanStart) ?? walkEnd, walkEnd)
            let lower = max(spanStart.timeIntervalSince1970 + offset, window.lowerBound)
            let upper = min(spanEnd.timeIntervalSince1970 + offset, window.upperBound)
            if lower < upper {
                intervals.append(
                    DateInterval(start: Date(timeIntervalSince1970: lower - offset), end: Date(timeIntervalSince1970: upper - offset)))
            }
            spanStart = spanEnd
        }
        return intervals
    }

    /// The parts of `day`'s covered time from `start` on during which the clock runs, in order.
    /// - Parameter stops: The pauses, ``merged(_:)``.
    private func runningPieces(of day: LocalDay, from start: Date, stops: [DateInterval]) -> [DateInterval] {
        var pieces: [DateInterval] = []
        for covered in coveredIntervals(of: day) where covered.end > start {
            var pieceStart = max(covered.start, start)
            for pause in stops where pause.end > pieceStart && pause.start < covered.end {
                if pause.start > pieceStart { pieces.append(DateInterval(start: pieceStart, end: pause.start)) }
                pieceStart = pause.end
            }
            if pieceStart < covered.end { pieces.append(DateInterval(start: pieceStart, end: covered.end)) }
        }
        return pieces
    }

    /// `intervals` sorted, with overlapping or touching ones joined.
    /// - Complexity: O(n log n) for n intervals.
    public static func merged(_ intervals: [DateInterval]) -> [DateInterval] {
        var result: [DateInterval] = []
        for interval in intervals.sorted(by: { $0.start < $1.start }) {
            if let last = result.last, interval.start <= last.end {
                result[result.count - 1] = DateInterval(start: last.start, end: max(last.end, interval.end))
            } else {
                result.append(interval)
            }
        }
        return result
    }
}

/// Covered intervals by local day, filled as days are asked for.
private final class DayCache: Sendable {
    let intervals = Mutex<[Int: [DateInterval]]>([:])
}

extension CalendarDate {
    /// Days since 1970-01-01 in the proleptic Gregorian calendar.
    /// Algorithm `days_from_civil`: Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms",
    /// https://howardhinnant.github.io/date_algorithms.html
    fileprivate var daysSince1970: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
