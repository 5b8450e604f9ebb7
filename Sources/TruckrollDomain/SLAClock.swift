import FoundationEssentials

/// One SLA clock at an instant: due time, time left, breached, at risk.
///
/// Response and restore clocks are both one of these: they differ only in their target and in what stops them
/// (technician on site, unit restored).
public struct SLAClock: Sendable, Equatable {
    /// When the target must be met: the target's covered minutes after the start, pauses not counted.
    public let due: Date
    /// When the target was met (technician on site / restored), if it was.
    public let stoppedAt: Date?
    /// Covered minutes left before `due`, measured at `stoppedAt` if met, else at `now`; negative once covered time
    /// has run past `due` (it stays 0 while a breached clock waits outside coverage).
    public let remainingCoveredMinutes: Double
    /// Met after `due`, or not met and `now` is after `due`.
    public let isBreached: Bool
    /// Not met, not breached, and less than 25 % of the target's covered minutes remain.
    public let isAtRisk: Bool

    /// The share of the target below which a running clock is at risk.
    public static let atRiskShare = 0.25

    /// The state of a clock at `now`.
    /// - Parameters:
    ///   - calendar: When the clock runs (the contract's coverage).
    ///   - start: When the clock started (the call was logged).
    ///   - targetMinutes: The target in covered minutes.
    ///   - pauses: When the clock was or will be stopped (on hold for a reason the contract allows).
    ///   - stoppedAt: When the target was met, or `nil` while it is not.
    ///   - now: The instant to evaluate at.
    /// - Returns: The clock's due time and flags.
    public static func evaluate(
        calendar: CoverageCalendar, start: Date, targetMinutes: Int, pauses: [DateInterval], stoppedAt: Date?, now: Date
    ) -> SLAClock {
        let due = calendar.due(after: start, coveredMinutes: targetMinutes, pauses: pauses)
        let measuredAt = stoppedAt ?? now
        let remaining = measuredAt <= due
            ? calendar.coveredMinutes(from: measuredAt, to: due, pauses: pauses)
            : 0 - calendar.coveredMinutes(from: due, to: measuredAt, pauses: pauses)
        let isBreached = measuredAt > due
        return SLAClock(
            due: due, stoppedAt: stoppedAt, remainingCoveredMinutes: remaining, isBreached: isBreached,
            isAtRisk: stoppedAt == nil && !isBreached && remaining < atRiskShare * Double(targetMinutes))
    }
}
