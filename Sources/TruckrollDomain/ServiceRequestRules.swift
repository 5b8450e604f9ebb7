/// How a new call gets its priority, and which holds stop the customer's SLA clocks.
public enum ServiceRequestRules {
    /// Why a request waits.
    public static let holdCodes = ["waiting_for_parts", "waiting_for_vendor", "waiting_for_customer", "site_closed"]

    /// Holds that stop the customer SLA clocks: the wait is the customer's. Waiting for parts or the vendor keeps
    /// counting against us (reports attribute it to its cause instead).
    public static let pausingHoldCodes: Set<String> = ["waiting_for_customer", "site_closed"]

    /// Call types that are planned work rather than a fault.
    public static let plannedCallTypes: Set<String> = ["preventive", "install", "move", "courtesy", "supplies"]

    /// The priority of a new call, P1 (most urgent) to P4.
    ///
    /// Start from the unit's criticality (critical P1, high P2, normal P3, low P4; P3 when the unit is unknown);
    /// a unit that still works (`unitDown == false`) is one step less urgent; a unit with no valid contract (billable
    /// work) one step less urgent again; planned work (preventive maintenance, installs, moves, courtesy calls,
    /// supplies) is P4 whatever the unit. A dispatcher may override the result, giving a reason.
    public static func priority(criticality: String?, unitDown: Bool, hasContract: Bool, callType: String) -> String {
        if plannedCallTypes.contains(callType) { return "P4" }
        var level = switch criticality {
        case "critical": 1
        case "high": 2
        case "low": 4
        default: 3
        }
        if !unitDown { level += 1 }
        if !hasContract { level += 1 }
        return "P\(min(4, level))"
    }
}
