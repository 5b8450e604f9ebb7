import Foundation

/// Local days around the sample's `now`, in the business's time zone (Europe/Paris): day 0 is today, day -1
/// yesterday. Times of day are minutes after local midnight.
struct SampleClock: Sendable {
    static let timeZoneIdentifier = "Europe/Paris"

    let now: Date
    /// The days this clock knows.
    let days: ClosedRange<Int>
    private let noons: [Date]
    private let weekdays: [Int]
    private let dateTexts: [String]
    /// The local minute of `now`, today.
    let minuteOfNow: Int

    /// A clock knowing the given days around `now`'s local day.
    init(now: Date, days: ClosedRange<Int>) {
        self.now = now
        self.days = days
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: Self.timeZoneIdentifier)!
        let todayMidnight = calendar.startOfDay(for: now)
        var noons: [Date] = []
        var weekdays: [Int] = []
        var dateTexts: [String] = []
        for day in days {
            // Noon of the day: its offset from UTC is the offset of every working minute, since daylight-saving
            // changes happen at night.
            let around = todayMidnight.addingTimeInterval(Double(day) * 86_400 + 12 * 3_600)
            let noon = calendar.date(bySettingHour: 12, minute: 0, second: 0, of: around)!
            noons.append(noon)
            weekdays.append((calendar.component(.weekday, from: noon) + 5) % 7)
            let parts = calendar.dateComponents([.year, .month, .day], from: noon)
            dateTexts.append(Self.dateText(year: parts.year!, month: parts.month!, day: parts.day!))
        }
        self.noons = noons
        self.weekdays = weekdays
        self.dateTexts = dateTexts
        minuteOfNow = 720 + Int((now.timeIntervalSince(noons[-days.lowerBound]) / 60).rounded(.down))
    }

    /// The instant of a local time of day (minutes may run past midnight).
    func instant(day: Int, minute: Int) -> Date {
        noons[day - days.lowerBound].addingTimeInterval(Double(minute - 720) * 60)
    }

    /// The local minute of an instant on a given day (negative before its midnight).
    func minute(of date: Date, on day: Int) -> Int {
        720 + Int((date.timeIntervalSince(noons[day - days.lowerBound]) / 60).rounded(.down))
    }

    /// Weekday of a day: 0 Monday … 6 Sunday.
    func weekday(_ day: Int) -> Int { weekdays[day - days.lowerBound] }

    /// Whether the day is Monday to Friday.
    func isWorkday(_ day: Int) -> Bool { weekday(day) < 5 }

    /// `YYYY-MM-DD` of a day.
    func dateText(_ day: Int) -> String { dateTexts[day - days.lowerBound] }

    static func dateText(year: Int, month: Int, day: Int) -> String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }
}
