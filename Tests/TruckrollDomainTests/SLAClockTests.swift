import FoundationEssentials
import Testing
import TruckrollDomain

/// SLA clock flags for a 4-hour target logged Monday 2026-11-30 08:00 UTC, office hours Mon–Fri 08:00–17:00 UTC:
/// due 12:00, at risk from 11:00 (less than 60 of 240 minutes left).
@Suite struct SLAClockTests {
    let office = officeHours(in: "UTC")
    let start = instant("2026-11-30T08:00+00:00")

    func clock(target: Int = 240, pauses: [DateInterval] = [], stoppedAt: String? = nil, now: String) -> SLAClock {
        SLAClock.evaluate(
            calendar: office, start: start, targetMinutes: target, pauses: pauses, stoppedAt: stoppedAt.map(instant),
            now: instant(now))
    }

    @Test func runningClockWithTimeToSpare() {
        let running = clock(now: "2026-11-30T10:00+00:00")
        #expect(running.due == instant("2026-11-30T12:00+00:00"))
        #expect(running.stoppedAt == nil)
        #expect(running.remainingCoveredMinutes == 120)
        #expect(!running.isBreached && !running.isAtRisk)
    }

    @Test func atRiskBelowAQuarterOfTheTarget() {
        let quarterLeft = clock(now: "2026-11-30T11:00+00:00")
        #expect(quarterLeft.remainingCoveredMinutes == 60 && !quarterLeft.isAtRisk)
        let lessThanAQuarter = clock(now: "2026-11-30T11:05+00:00")
        #expect(lessThanAQuarter.remainingCoveredMinutes == 55 && lessThanAQuarter.isAtRisk && !lessThanAQuarter.isBreached)
    }

    @Test func breachedOnceNowIsPastDue() {
        let late = clock(now: "2026-11-30T12:30+00:00")
        #expect(late.isBreached && !late.isAtRisk)
        #expect(late.remainingCoveredMinutes == -30)
        // Only covered time counts after the due time too: 12:00–17:00.
        #expect(clock(now: "2026-11-30T20:00+00:00").remainingCoveredMinutes == -300)
        #expect(!clock(now: "2026-11-30T12:00+00:00").isBreached)
    }

    @Test func breachedAtClosingTimeEvenBeforeCoverageResumes() {
        // A 9-hour target is due at 17:00; at 18:00 no covered minute has passed since, but the clock is breached.
        let evening = clock(target: 540, now: "2026-11-30T18:00+00:00")
        #expect(evening.due == instant("2026-11-30T17:00+00:00"))
        #expect(evening.isBreached && evening.remainingCoveredMinutes == 0)
    }

    @Test func metInTimeIsNeitherBreachedNorAtRisk() {
        let met = clock(stoppedAt: "2026-11-30T11:50+00:00", now: "2026-12-01T09:00+00:00")
        #expect(met.stoppedAt == instant("2026-11-30T11:50+00:00"))
        #expect(met.remainingCoveredMinutes == 10)
        #expect(!met.isBreached && !met.isAtRisk)
        let metAtDue = clock(stoppedAt: "2026-11-30T12:00+00:00", now: "2026-12-01T09:00+00:00")
        #expect(!metAtDue.isBreached && metAtDue.remainingCoveredMinutes == 0)
    }

    @Test func metLateIsBreached() {
        let metLate = clock(stoppedAt: "2026-11-30T12:10+00:00", now: "2026-12-01T09:00+00:00")
        #expect(metLate.isBreached && !metLate.isAtRisk)
        #expect(metLate.remainingCoveredMinutes == -10)
    }

    @Test func pausesMoveTheDueTimeAndKeepTheClockSafe() {
        let onHold = [pause("2026-11-30T09:00+00:00", "2026-11-30T10:00+00:00")]
        let paused = clock(pauses: onHold, now: "2026-11-30T12:30+00:00")
        #expect(paused.due == instant("2026-11-30T13:00+00:00"))
        #expect(paused.remainingCoveredMinutes == 30 && paused.isAtRisk && !paused.isBreached)
        // While on hold the remaining time does not shrink.
        let holdToEnd = [pause("2026-11-30T11:00+00:00", "2026-11-30T15:00+00:00")]
        #expect(clock(pauses: holdToEnd, now: "2026-11-30T11:00+00:00").remainingCoveredMinutes == 60)
        #expect(clock(pauses: holdToEnd, now: "2026-11-30T14:59+00:00").remainingCoveredMinutes == 60)
    }

    @Test func clocksAreEqualWhenTheirStateIs() {
        #expect(clock(now: "2026-11-30T10:00+00:00") == clock(now: "2026-11-30T10:00+00:00"))
        #expect(clock(now: "2026-11-30T10:00+00:00") != clock(now: "2026-11-30T10:01+00:00"))
    }
}
