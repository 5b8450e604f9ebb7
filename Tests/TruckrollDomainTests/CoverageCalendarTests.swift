import FoundationEssentials
import Testing
import TruckrollDomain

/// An instant written `YYYY-MM-DDTHH:MM±HH:MM`, local time and its offset; offsets are worked out by hand.
func instant(_ text: String) -> Date { Timestamp.parse(text.prefix(16) + ":00" + text.dropFirst(16))! }

/// Hours on some days, from `HH:MM` texts.
func hours(_ days: Set<Weekday>, _ start: String, _ end: String) -> WeeklyHours {
    WeeklyHours(days: days, start: TimeOfDay(start)!, end: TimeOfDay(end)!)!
}

/// A time zone known to exist.
func zone(_ identifier: String) -> TimeZone { TimeZone(identifier: identifier)! }

/// Mon–Fri 08:00–17:00 in `timeZone`.
func officeHours(in timeZone: String, holidays: Set<CalendarDate> = []) -> CoverageCalendar {
    CoverageCalendar(timeZone: zone(timeZone), weekly: [hours(Weekday.workingWeek, "08:00", "17:00")], holidays: holidays)
}

/// A pause between two instants.
func pause(_ start: String, _ end: String) -> DateInterval { DateInterval(start: instant(start), end: instant(end)) }

/// Due times and covered minutes of coverage calendars, worked out by hand. 2026-11-30 is a Monday.
@Suite struct CoverageCalendarTests {
    /// New York office hours, with Christmas (Friday 2026-12-25) off. EST is UTC−5 all December.
    let newYork = officeHours(in: "America/New_York", holidays: [CalendarDate("2026-12-25")!])

    @Test func callInsideHoursIsDueTheSameDay() {
        #expect(newYork.due(after: instant("2026-12-01T09:15-05:00"), coveredMinutes: 45) == instant("2026-12-01T10:00-05:00"))
        #expect(newYork.due(after: instant("2026-12-01T08:00-05:00"), coveredMinutes: 540) == instant("2026-12-01T17:00-05:00"))
    }

    @Test func clockStopsOvernight() {
        #expect(newYork.due(after: instant("2026-12-01T15:00-05:00"), coveredMinutes: 240) == instant("2026-12-02T10:00-05:00"))
    }

    @Test func fridayAfternoonCallIsDueMondayMorning() {
        #expect(newYork.due(after: instant("2026-12-04T16:00-05:00"), coveredMinutes: 240) == instant("2026-12-07T11:00-05:00"))
    }

    @Test func callOutsideHoursStartsAtTheNextCoveredMinute() {
        #expect(newYork.due(after: instant("2026-12-01T06:30-05:00"), coveredMinutes: 60) == instant("2026-12-01T09:00-05:00"))
        #expect(newYork.due(after: instant("2026-12-01T20:00-05:00"), coveredMinutes: 30) == instant("2026-12-02T08:30-05:00"))
        #expect(newYork.due(after: instant("2026-12-05T10:00-05:00"), coveredMinutes: 60) == instant("2026-12-07T09:00-05:00"))
        #expect(newYork.due(after: instant("2026-12-01T17:00-05:00"), coveredMinutes: 1) == instant("2026-12-02T08:01-05:00"))
    }

    @Test func holidaysAreWholeLocalDays() {
        // Thursday 24th 16:00: one hour on Thursday, Christmas and the weekend off, three hours on Monday 28th.
        #expect(newYork.due(after: instant("2026-12-24T16:00-05:00"), coveredMinutes: 240) == instant("2026-12-28T11:00-05:00"))
        #expect(newYork.coveredMinutes(from: instant("2026-12-25T00:00-05:00"), to: instant("2026-12-26T00:00-05:00")) == 0)
    }

    @Test func weekdaysAndHolidaysAreLocalNotUTC() {
        let tokyo = CoverageCalendar(
            timeZone: zone("Asia/Tokyo"), weekly: [hours(Weekday.workingWeek, "09:00", "18:00")],
            holidays: [CalendarDate("2026-12-08")!])
        // Friday 17:30 JST is 08:30Z: 30 minutes on Friday, 90 on Monday.
        #expect(tokyo.due(after: instant("2026-12-04T08:30+00:00"), coveredMinutes: 120) == instant("2026-12-07T10:30+09:00"))
        // Sunday 23:30Z is already Monday 08:30 in Tokyo.
        #expect(tokyo.due(after: instant("2026-12-06T23:30+00:00"), coveredMinutes: 60) == instant("2026-12-07T10:00+09:00"))
        // Monday 17:00 JST + 2 h: Tuesday 8th is a Tokyo holiday, so Wednesday 10:00 JST.
        #expect(tokyo.due(after: instant("2026-12-07T17:00+09:00"), coveredMinutes: 120) == instant("2026-12-09T10:00+09:00"))
    }

    @Test func overlappingWeeklyHoursCountOnce() {
        let calendar = CoverageCalendar(
            timeZone: .gmt, weekly: [hours([.monday], "08:00", "12:00"), hours([.monday], "10:00", "14:00")], holidays: [])
        #expect(calendar.coveredMinutes(from: instant("2026-11-30T00:00+00:00"), to: instant("2026-12-01T00:00+00:00")) == 360)
        // From 09:00: five hours on Monday 30th, the sixth on Monday 7th.
        #expect(calendar.due(after: instant("2026-11-30T09:00+00:00"), coveredMinutes: 360) == instant("2026-12-07T09:00+00:00"))
    }

    @Test func hoursEndingAt24RunOnPastMidnight() {
        let weekendNights = CoverageCalendar(
            timeZone: zone("Europe/Paris"), weekly: [hours([.saturday], "20:00", "24:00"), hours([.sunday], "00:00", "04:00")],
            holidays: [])
        #expect(weekendNights.due(after: instant("2026-12-05T23:00+01:00"), coveredMinutes: 120) == instant("2026-12-06T01:00+01:00"))
        #expect(weekendNights.coveredMinutes(from: instant("2026-12-05T00:00+01:00"), to: instant("2026-12-07T00:00+01:00")) == 480)
    }

    // MARK: daylight saving time, Europe/Paris: CET is UTC+1, CEST UTC+2

    let paris = officeHours(in: "Europe/Paris")

    @Test func springForwardOverTheWeekend() {
        // Friday 27 March 16:00 CET, 2 h: one on Friday, one on Monday 30 March from 08:00 CEST.
        #expect(paris.due(after: instant("2026-03-27T16:00+01:00"), coveredMinutes: 120) == instant("2026-03-30T09:00+02:00"))
        #expect(paris.due(after: instant("2026-03-27T16:00+01:00"), coveredMinutes: 120) == instant("2026-03-30T07:00+00:00"))
    }

    @Test func fallBackOverTheWeekend() {
        // Friday 23 October 16:00 CEST, 2 h: one on Friday, one on Monday 26 October from 08:00 CET.
        #expect(paris.due(after: instant("2026-10-23T16:00+02:00"), coveredMinutes: 120) == instant("2026-10-26T09:00+01:00"))
        #expect(paris.due(after: instant("2026-10-23T16:00+02:00"), coveredMinutes: 120) == instant("2026-10-26T08:00+00:00"))
    }

    @Test func dstDaysLastTwentyThreeAndTwentyFiveHours() {
        let always = CoverageCalendar.always(timeZone: zone("Europe/Paris"))
        #expect(always.coveredMinutes(from: instant("2026-03-29T00:00+01:00"), to: instant("2026-03-30T00:00+02:00")) == 23 * 60)
        #expect(always.coveredMinutes(from: instant("2026-10-25T00:00+02:00"), to: instant("2026-10-26T00:00+01:00")) == 25 * 60)
        #expect(always.due(after: instant("2026-03-28T12:00+01:00"), coveredMinutes: 1440) == instant("2026-03-29T13:00+02:00"))
    }

    @Test func coveredNightsContainingTheSwitch() {
        let nights = CoverageCalendar(timeZone: zone("Europe/Paris"), weekly: [hours([.sunday], "00:00", "06:00")], holidays: [])
        // 00:00–06:00 local is five real hours on 29 March and seven on 25 October.
        #expect(nights.coveredMinutes(from: instant("2026-03-28T12:00+01:00"), to: instant("2026-03-29T12:00+02:00")) == 300)
        #expect(nights.coveredMinutes(from: instant("2026-10-24T12:00+02:00"), to: instant("2026-10-25T12:00+01:00")) == 420)
        #expect(nights.due(after: instant("2026-10-24T12:00+02:00"), coveredMinutes: 180) == instant("2026-10-25T02:00+01:00"))
        // The skipped hour is never covered: 02:30–05:00 is 03:00–05:00 CEST.
        let skipped = CoverageCalendar(timeZone: zone("Europe/Paris"), weekly: [hours([.sunday], "02:30", "05:00")], holidays: [])
        #expect(skipped.coveredMinutes(from: instant("2026-03-29T00:00+01:00"), to: instant("2026-03-29T12:00+02:00")) == 120)
    }

    @Test(arguments: ["2026-03-27T18:00+01:00", "2026-10-23T18:00+02:00"])
    func agreesWithAMinuteByMinuteCountAroundTheSwitches(weekendText: String) {
        let nights = CoverageCalendar(
            timeZone: zone("Europe/Paris"),
            weekly: [
                hours([.saturday, .sunday], "01:30", "03:15"), hours([.sunday, .monday], "02:00", "02:45"),
                hours([.friday, .saturday, .sunday], "22:00", "24:00"), hours([.sunday, .monday], "00:00", "01:00"),
            ],
            holidays: [CalendarDate("2026-03-30")!, CalendarDate("2026-10-26")!])
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = nights.timeZone
        let weekdays: [Weekday] = [.sunday, .monday, .tuesday, .wednesday, .thursday, .friday, .saturday]
        /// Whether the minute starting at `minute` is covered, read off its local date and wall-clock time.
        func isCovered(_ minute: Date, pauses: [DateInterval]) -> Bool {
            let local = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: minute)
            let isHoliday = nights.holidays.contains { $0.year == local.year && $0.month == local.month && $0.day == local.day }
            let time = local.hour! * 60 + local.minute!
            let isPaused = pauses.contains { $0.start <= minute && minute < $0.end }
            let isInHours = nights.weekly.contains {
                $0.days.contains(weekdays[local.weekday! - 1]) && $0.start.minutes <= time && time < $0.end.minutes
            }
            return isInHours && !isHoliday && !isPaused
        }
        for sample in 0..<12 {
            let start = instant(weekendText).addingTimeInterval(Double(sample * 131 * 60))
            let end = start.addingTimeInterval(Double((1200 + sample * 97) * 60))
            let pauseStart = start.addingTimeInterval(Double(sample * 173 * 60))
            let pauses = [DateInterval(start: pauseStart, duration: Double((90 + sample * 37) * 60))]
            let minutes = stride(from: start, to: end, by: 60).filter { isCovered($0, pauses: pauses) }
            #expect(nights.coveredMinutes(from: start, to: end, pauses: pauses) == Double(minutes.count))
            #expect(!minutes.isEmpty)
            if let lastMinute = minutes.last {
                #expect(nights.due(after: start, coveredMinutes: minutes.count, pauses: pauses) == lastMinute.addingTimeInterval(60))
            }
        }
    }

    // MARK: pauses

    @Test func pausesStopTheClock() {
        let start = instant("2026-12-01T10:00-05:00")
        #expect(newYork.due(after: start, coveredMinutes: 240, pauses: [pause("2026-12-01T11:00-05:00", "2026-12-01T12:00-05:00")])
            == instant("2026-12-01T15:00-05:00"))
        // Overlapping pauses stop it once: 11:00–12:30 is 90 minutes.
        let overlapping = [
            pause("2026-12-01T11:30-05:00", "2026-12-01T12:30-05:00"), pause("2026-12-01T11:00-05:00", "2026-12-01T12:00-05:00"),
        ]
        #expect(newYork.due(after: start, coveredMinutes: 240, pauses: overlapping) == instant("2026-12-01T15:30-05:00"))
        // A pause from before the call until 11:00 starts the clock at 11:00.
        #expect(newYork.due(after: start, coveredMinutes: 60, pauses: [pause("2026-12-01T09:00-05:00", "2026-12-01T11:00-05:00")])
            == instant("2026-12-01T12:00-05:00"))
    }

    @Test func pausesOutsideCoverageChangeNothing() {
        let start = instant("2026-12-04T16:00-05:00")
        let saturday = pause("2026-12-05T09:00-05:00", "2026-12-05T18:00-05:00")
        #expect(newYork.due(after: start, coveredMinutes: 240, pauses: [saturday]) == instant("2026-12-07T11:00-05:00"))
        // Overnight: only 16:00–17:00 and 08:00–09:00 are covered.
        let overnight = pause("2026-12-01T16:00-05:00", "2026-12-02T09:00-05:00")
        #expect(newYork.due(after: instant("2026-12-01T15:00-05:00"), coveredMinutes: 120, pauses: [overnight])
            == instant("2026-12-02T10:00-05:00"))
    }

    @Test func pauseSpanningAWeekend() {
        // Friday 14:00, 4 h: 3 h on Friday and 1 h on Monday; on hold from Friday 16:00 to Monday 10:00, 2 h on
        // Friday and 2 h from Monday 10:00.
        let hold = pause("2026-12-04T16:00-05:00", "2026-12-07T10:00-05:00")
        let start = instant("2026-12-04T14:00-05:00")
        #expect(newYork.due(after: start, coveredMinutes: 240) == instant("2026-12-07T09:00-05:00"))
        #expect(newYork.due(after: start, coveredMinutes: 240, pauses: [hold]) == instant("2026-12-07T12:00-05:00"))
        #expect(newYork.coveredMinutes(from: start, to: instant("2026-12-07T12:00-05:00"), pauses: [hold]) == 240)
    }

    // MARK: 24×7

    @Test func alwaysCountsEveryMinute() {
        let always = CoverageCalendar.always(timeZone: zone("America/New_York"))
        let start = instant("2026-12-05T22:00-05:00")
        #expect(always.due(after: start, coveredMinutes: 240) == instant("2026-12-06T02:00-05:00"))
        #expect(always.due(after: start, coveredMinutes: 240, pauses: [pause("2026-12-05T23:00-05:00", "2026-12-06T00:30-05:00")])
            == instant("2026-12-06T03:30-05:00"))
        #expect(always.coveredMinutes(from: start, to: instant("2026-12-12T22:00-05:00")) == 7 * 1440)
    }

    // MARK: edges, inverse, efficiency

    @Test func emptyAndReversedRanges() {
        let start = instant("2026-12-01T10:00-05:00")
        #expect(newYork.coveredMinutes(from: start, to: start) == 0)
        #expect(newYork.coveredMinutes(from: start, to: instant("2026-11-30T10:00-05:00")) == 0)
        #expect(newYork.due(after: start, coveredMinutes: 0) == start)
        #expect(CoverageCalendar(timeZone: .gmt, weekly: [], holidays: []).due(after: start, coveredMinutes: 1) == .distantFuture)
        #expect(WeeklyHours(days: [.monday], start: TimeOfDay("09:00")!, end: TimeOfDay("09:00")!) == nil)
    }

    @Test(arguments: [
        "2026-03-27T16:00+01:00", "2026-03-29T02:00+00:00", "2026-10-23T11:13+02:00", "2026-10-25T01:30+00:00",
        "2026-12-24T16:45+01:00", "2026-12-26T12:00+01:00",
    ])
    func coveredMinutesIsTheInverseOfDue(startText: String) {
        let paris = officeHours(in: "Europe/Paris", holidays: [CalendarDate("2026-12-25")!])
        let calendars = [paris, .always(timeZone: zone("Europe/Paris"))]
        let start = instant(startText)
        let hold = [pause("2026-03-30T10:00+02:00", "2026-03-31T09:30+02:00"), pause("2026-12-28T08:00+01:00", "2026-12-28T08:45+01:00")]
        for calendar in calendars {
            for minutes in [1, 59, 60, 240, 480, 540, 541, 1440, 10_000] {
                for pauses in [[], hold] {
                    let due = calendar.due(after: start, coveredMinutes: minutes, pauses: pauses)
                    #expect(calendar.coveredMinutes(from: start, to: due, pauses: pauses) == Double(minutes))
                    #expect(calendar.coveredMinutes(from: start, to: due.addingTimeInterval(-1), pauses: pauses) < Double(minutes))
                }
            }
        }
    }

    /// A clock of a year of covered minutes (a P4 on office hours) spans almost four years of calendar, across every
    /// offset change in between.
    @Test func aYearOfCoveredMinutesEndsOnTheRightDay() {
        let utcOffice = officeHours(in: "UTC")
        let start = instant("2026-01-05T08:00+00:00")
        let due = utcOffice.due(after: start, coveredMinutes: 525_600)
        // 525,600 minutes are 973 days of 9 hours (194 weeks and Monday to Wednesday) and 3 hours.
        #expect(due == instant("2029-09-27T11:00+00:00"))
        #expect(utcOffice.coveredMinutes(from: start, to: due) == 525_600)
        // Paris has two offset changes a year to look up.
        let paris = officeHours(in: "Europe/Paris")
        let parisStart = instant("2026-01-05T08:00+01:00")
        let parisDue = paris.due(after: parisStart, coveredMinutes: 525_600)
        #expect(parisDue == instant("2029-09-27T11:00+02:00"))
        #expect(paris.coveredMinutes(from: parisStart, to: parisDue) == 525_600)
    }
}
